"""Items a person puts in order by hand (Toolkit entries, survey questions, newsletter blocks)."""


def move(items, item, offset, start=1):
    """Move `item` one place up (offset -1) or down (+1) among `items`, then number every item's
    `position` again from `start`, so positions stay dense whatever they were. Moving past either
    end changes nothing. Returns the items in their new order."""
    items = list(items)
    index = items.index(item)
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items, start=start):
        each.position = position
    return items
