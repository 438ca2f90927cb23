"""Untrusted input made safe in one place: readable text, no control characters, bounded numbers.

Everything a request brings passes through here before a view sees it:

* the body and the query string must be UTF-8, else the request gets a clear 400;
* form fields, query parameters, upload names and JSON lose NUL and the other C0/C1 control
  characters (tab, line feed and carriage return stay) and lone surrogates, which no database
  column can hold, and the bidirectional override controls, which disguise names; the form base
  class `Form` then shows a message on each field that had any, with what the person typed
  (minus those characters) kept in the field;
* path parameters with control characters, and integers in paths beyond any stored id, are 404;
  integers read with `request.args.get(name, type=int)` beyond any id count as absent;
* every date and time field of a `Form` must fall in a sane range of years, and every integer
  field within what a database integer holds.
"""
import codecs
import json
import re
from datetime import date, datetime
from urllib.parse import unquote_to_bytes

from flask import Request, has_request_context, render_template, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, iter_multi_items
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError
from wtforms import (DateField, DateTimeField, DateTimeLocalField, HiddenField, IntegerField, PasswordField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectFieldBase
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import Select, TextArea
from wtforms.widgets.core import clean_key

from .timeutil import from_pacific, to_pacific

#: NUL and the C0 and C1 controls except tab, line feed and carriage return; lone surrogates;
#: the bidirectional embedding, override and isolate controls, which make a name or title
#: display in an order other than the one it is stored in ("Trojan Source" spoofing).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                                "\u202a-\u202e\u2066-\u2069]")
#: Ids are 32-bit integers in PostgreSQL; nothing larger can name a row.
MAX_ID = 2**31 - 1
#: Dates outside these years are typing mistakes (and beyond 9999 cannot even be converted).
MIN_YEAR, MAX_YEAR = 1900, 2200

NOT_UTF8 = "The form contained characters that could not be read (not UTF-8)."
CONTROL_MESSAGE = ("This contained invisible control characters (such as NUL), which are removed "
                   "now. Check the text and submit again.")


def strip_controls(text):
    """`text` without control characters and lone surrogates."""
    return CONTROL_CHARACTERS.sub("", text)


def has_controls(text):
    return CONTROL_CHARACTERS.search(text) is not None


def bounded_int(value):
    """int(value), refusing (ValueError) anything beyond what an id or a page number can be."""
    text = str(value).strip()
    if len(text) > 11:
        raise ValueError("too long for a number here")
    number = int(text)
    if abs(number) > MAX_ID:
        raise ValueError("beyond any id")
    return number


class UnreadableInput(BadRequest):
    """The request's bytes are not UTF-8 text."""

    description = NOT_UTF8


class CleanParameters(ImmutableMultiDict):
    """Form fields or query parameters without control characters.

    `cleaned` holds the names of the fields that had some; `get(name, type=int)` refuses numbers
    beyond any id (the default is returned, as for any value that is not a number).
    """

    def __init__(self, mapping=None):
        self.cleaned = set()
        items = []
        for key, value in iter_multi_items(mapping or ()):
            if isinstance(key, str) and has_controls(key):
                key = strip_controls(key)
            if isinstance(value, str) and has_controls(value):
                self.cleaned.add(key)
                value = strip_controls(value)
            elif isinstance(value, FileStorage) and value.filename and has_controls(value.filename):
                self.cleaned.add(key)
                value.filename = strip_controls(value.filename)
            items.append((key, value))
        super().__init__(items)

    def get(self, key, default=None, type=None):
        return super().get(key, default, bounded_int if type is int else type)


#: The codec multipart fields are read with: UTF-8 that refuses bytes which are not UTF-8, where
#: Werkzeug's parser would put U+FFFD in their place (and a U+FFFD someone typed, pasted from a
#: damaged PDF, would be taken for the same thing).
_STRICT_UTF8 = "linkages_strict_utf_8"


def _find_strict_utf8(name):
    if name == _STRICT_UTF8:
        utf8 = codecs.lookup("utf-8")
        return codecs.CodecInfo(utf8.encode, lambda data, errors="strict": utf8.decode(data, "strict"),
                                name=_STRICT_UTF8)
    return None


codecs.register(_find_strict_utf8)


class _StrictMultiPartParser(MultiPartParser):
    def get_part_charset(self, headers):
        charset = super().get_part_charset(headers)
        return _STRICT_UTF8 if charset == "utf-8" else charset


class _FormDataParser(FormDataParser):
    """Werkzeug's form parser, with multipart fields read as strict UTF-8: `unreadable` is set
    (and the form is empty) when a field's bytes are not UTF-8."""

    unreadable = False

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = _StrictMultiPartParser(stream_factory=self.stream_factory, cls=self.cls,
                                        max_form_memory_size=self.max_form_memory_size,
                                        max_form_parts=self.max_form_parts)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        try:
            form, files = parser.parse(stream, boundary, content_length)
        except UnicodeDecodeError:
            self.unreadable = True
            return stream, self.cls(), self.cls()
        return stream, form, files


class CommunityRequest(Request):
    """The request class of the app: checks encodings and cleans parameters (see the module).

    Unreadable (not UTF-8) parameters read as empty and set `unreadable`, so that the error page
    itself can still render; `_refuse_unreadable` answers such a request with a 400.
    """

    parameter_storage_class = CleanParameters
    form_data_parser_class = _FormDataParser
    unreadable = False

    def make_form_data_parser(self):
        self._form_parser = super().make_form_data_parser()
        return self._form_parser

    @property
    def args(self):
        if "args" not in self.__dict__:
            if _is_utf8_query(self.query_string):
                self.__dict__["args"] = super().args
            else:
                self.unreadable = True
                self.__dict__["args"] = self.parameter_storage_class()
        return self.__dict__["args"]

    def _load_form_data(self):
        if self.mimetype == "application/x-www-form-urlencoded":
            self.unreadable |= not _is_utf8_query(self.get_data(cache=True))
        super()._load_form_data()
        self.unreadable |= getattr(self.__dict__.get("_form_parser"), "unreadable", False)
        if self.unreadable:
            self.__dict__["form"] = self.parameter_storage_class()

    def get_json(self, *args, **kwargs):
        return _clean_json(super().get_json(*args, **kwargs))


def _is_utf8_query(raw):
    """Whether `raw` (a query string or URL-encoded body) is UTF-8, once percent-decoded too."""
    try:
        raw.decode("utf-8")
        for piece in re.split(rb"[&=]", raw):
            unquote_to_bytes(piece.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse_unreadable():
    request.args  # noqa: B018  (reading the parameters is what checks them)
    if request.method in ("POST", "PUT", "PATCH"):
        request.form  # noqa: B018
    if request.unreadable:
        raise UnreadableInput()


def _clean_json(value):
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {_clean_json(key): _clean_json(item) for key, item in value.items()}
    return value


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in routes: an id beyond 32 bits (or thousands of digits) is 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value):
        if len(value) > 11:
            raise ValidationError()
        return super().to_python(value)


class _NoControls:
    def to_python(self, value):
        if has_controls(value):
            raise ValidationError()
        return value


class CleanStringConverter(_NoControls, UnicodeConverter):
    """`<name>` and `<string:name>`: a segment with control characters matches no page."""


class CleanPathConverter(_NoControls, PathConverter):
    """`<path:name>`, likewise."""


def _field_had_controls(form, field):
    if has_request_context() and form.is_submitted():
        cleaned = getattr(request.form, "cleaned", set()) | getattr(request.files, "cleaned", set())
        if field.name in cleaned:
            raise FieldError(CONTROL_MESSAGE)


def _years_in_range(form, field):
    if field.data is not None and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise FieldError(f"Choose a date between the years {MIN_YEAR} and {MAX_YEAR}.")


def _a_pacific_time_that_exists(form, field):
    """A date and time typed in Pacific time must be one the clocks show: on the second Sunday
    of March they jump from 2:00 to 3:00, and 2:30 that day would otherwise be read as 3:30."""
    value = field.data
    if (value is not None and value.tzinfo is None and MIN_YEAR <= value.year <= MAX_YEAR
            and to_pacific(from_pacific(value)).replace(tzinfo=None) != value):
        raise FieldError(f"{value:%-I:%M %p} does not exist on {value:%b %-d, %Y} in "
                         "Pacific time: the clocks jump from 2:00 to 3:00 AM. Choose another time.")


def _integer_in_range(form, field):
    if field.data is not None and abs(field.data) > MAX_ID:
        raise FieldError("That number is far too large.")


class Form(FlaskForm):
    """The base of every form: refuses control characters, far dates and huge integers, trims
    one-line text and refuses a choice that is only spaces.

    The checks run after a field's own validators (an empty optional field stops there). One-line
    text (not passwords, not text areas) is stored without the spaces around it, so an address
    pasted with a space is accepted and a link of spaces is no link. A choice of spaces would
    otherwise pass as "nothing chosen" (WTForms' `Optional` clears the "Not a valid choice"
    error for blank text) and reach the code as a value no list offers.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not isinstance(field, (TextAreaField, PasswordField)):
                field.filters = (*field.filters, _trimmed)
            if isinstance(field, SelectFieldBase):
                field.validators = [_no_blank_choice, *field.validators]
            checks = [_field_had_controls]
            if isinstance(field, (DateField, DateTimeField)):
                checks.append(_years_in_range)
            if isinstance(field, DateTimeLocalField):
                checks.append(_a_pacific_time_that_exists)
            if isinstance(field, IntegerField):
                checks.append(_integer_in_range)
            field.validators = [*field.validators, *checks]
            if type(field.widget) is Select:
                field.widget = QuickSelect(multiple=field.widget.multiple)
            elif type(field.widget) is TextArea:
                field.widget = _QUICK_TEXT_AREA
            return field


def shown_json(values):
    """What a page shows when it is opened ({name: value}), as JSON it carries back in a hidden
    field, so that saving it changes only what the person changed (`changed_since_shown`)."""
    return json.dumps(_plain(values), sort_keys=True)


def changed_since_shown(shown, values):
    """The names in `values` whose value differs from what the page showed (`shown`, its
    `shown_json`; a name it left out showed nothing); every name when that is unknown (a new
    record, a page without it)."""
    try:
        before = json.loads(shown or "")
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        before = None
    now = _plain(values)
    if not isinstance(before, dict):
        return set(now)
    return {name for name, value in now.items() if before.get(name) != value}


def _plain(values):
    return {str(name): value.isoformat() if isinstance(value, (date, datetime)) else value
            for name, value in values.items()}


class RemembersShown:
    """A form that remembers what it showed when it was opened (a hidden JSON field), so that
    saving it changes only what this person changed: another person's save meanwhile, to other
    fields, stays. A subclass says what it shows (`shown_values`: {name: value as saved})."""

    shown = HiddenField()

    def shown_values(self):
        raise NotImplementedError

    def remember_shown(self):
        self.shown.data = shown_json(self.shown_values())

    def changed_values(self):
        """{name: value} of what this person changed since the form was opened (everything when
        that is unknown)."""
        values = self.shown_values()
        changed = changed_since_shown(self.shown.data, values)
        return {name: value for name, value in values.items() if name in changed}


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


def _no_blank_choice(form, field):
    if any(isinstance(raw, str) and raw and not raw.strip() for raw in field.raw_data or ()):
        raise StopValidation(field.gettext("Not a valid choice."))


def attributes(**values):
    """WTForms' `html_params`, the same text: without formatting each attribute through
    `Markup.format` (Python's string formatter), which made it most of a select's or text area's
    cost on every page with a form."""
    parts = []
    for key, value in sorted(values.items()):
        name = escape(clean_key(key))
        if value is True:
            parts.append(name)
        elif value is not False:
            value = str(escape(value)).replace('"', "&quot;")  # a Markup value keeps its own quotes
            parts.append(f'{name}="{value}"')
    return Markup(" ".join(parts))


def _with_flags(widget, field, values):
    """The widget's attributes as WTForms gives them: its id, and the field's flags it shows."""
    values.setdefault("id", field.id)
    flags = getattr(getattr(field, "flags", None), "__dict__", {})  # the flags set on the field
    for name in widget.validation_attrs:
        if name in flags and name not in values:
            values[name] = flags[name]
    return values


class QuickSelect(Select):
    """WTForms' select, the same HTML: its attributes by `attributes`, and each plain `<option>`
    written directly, without an attribute dict per option (the county list made `html_params`
    most of a form page)."""

    def __call__(self, field, **values):
        if self.multiple:
            values["multiple"] = True
        html = [f"<select {attributes(name=field.name, **_with_flags(self, field, values))}>"]
        if field.has_groups():
            for group, choices in field._iter_groups_normalized():
                if group is not None:
                    html.append(f"<optgroup {attributes(label=group)}>")
                html.extend(self.render_option(choice) for choice in choices)
                if group is not None:
                    html.append("</optgroup>")
        else:
            html.extend(self.render_option(choice) for choice in field._iter_choices_normalized())
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')


class QuickTextArea(TextArea):
    """WTForms' text area, the same HTML, its attributes by `attributes`."""

    def __call__(self, field, **values):
        params = attributes(name=field.name, **_with_flags(self, field, values))
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")


_QUICK_TEXT_AREA = QuickTextArea()


def init_app(app):
    app.request_class = CommunityRequest
    app.before_request(_refuse_unreadable)  # registered before the CSRF check, so it runs first
    app.url_map.converters.update(int=BoundedIntegerConverter, default=CleanStringConverter,
                                  string=CleanStringConverter, path=CleanPathConverter)

    @app.errorhandler(UnreadableInput)
    def _unreadable(error):
        if request.method == "GET":
            title, message = "The address could not be read", NOT_UTF8.replace("form", "address")
        else:
            title, message = "The form could not be read", NOT_UTF8 + (
                " Please type the text again, or paste it from another program, and submit once more.")
        return render_template("core/error.html", code=400, title=title, message=message), 400
