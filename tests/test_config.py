"""One place for settings: `community/config.py` declares each one, the README's table documents it."""
import ast
import re
from pathlib import Path

from community import config

ROOT = Path(__file__).resolve().parent.parent


def _readme_settings():
    """The variable names in the first column of the README's settings table."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("| variable | meaning |")
    table = readme[start:readme.index("\n\n", start)].splitlines()[2:]
    names = []
    for row in table:
        names += re.findall(r"`([A-Z][A-Z0-9_]+)[`=]", row.split("|")[1])
    return names


def test_the_readme_documents_every_setting_and_nothing_else():
    documented = _readme_settings()
    assert len(documented) == len(set(documented)), "a setting has two rows"
    assert sorted(set(config.ENVIRONMENT) - set(documented)) == [], "settings missing from the README"
    assert sorted(set(documented) - set(config.ENVIRONMENT)) == [], "README rows for no setting"


def test_every_setting_in_config_has_a_comment():
    """Each attribute of `Config` read from the environment carries a `#:` comment (or shares the
    one just above it, for a group of related settings)."""
    source = (ROOT / "community" / "config.py").read_text()
    lines = source.splitlines()
    config_class = next(node for node in ast.parse(source).body
                        if isinstance(node, ast.ClassDef) and node.name == "Config")
    undocumented = []
    for node in config_class.body:
        if not isinstance(node, ast.Assign) or "_env" not in ast.unparse(node.value):
            continue
        line = node.lineno - 2
        while line >= 0 and re.match(r"\s+[A-Z_]+ = _env", lines[line]):
            line -= 1  # a group shares the comment above its first line
        if not lines[line].strip().startswith("#:"):
            undocumented.append(node.targets[0].id)
    assert undocumented == []


def test_no_other_module_reads_settings_from_the_environment():
    """Settings come from `app.config` (filled by `config.py`), never from `os.environ` elsewhere."""
    readers = []
    for package in ("community", "newsletters"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "config.py" and path.parent.name == "community":
                continue
            if re.search(r"os\.environ|getenv\(", path.read_text()):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_feature_settings_have_their_defaults_without_the_feature_setting_them(app):
    assert app.config["NEWSLETTER_RATE"] == config.Config.NEWSLETTER_RATE == 20.0
    assert app.config["FORUM_MAX_POST_CHARS"] == 20000
    assert app.config["UPLOAD_ZIP_MAX_ENTRIES"] == 3000
    assert app.config["SEARCH_INDEX_DIR"] == str(Path(app.instance_path) / "search-index")
    assert app.config["UPLOAD_DIR"] == str(Path(app.instance_path) / "uploads")


def test_an_override_wins_over_the_declared_default(app_factory):
    app = app_factory(NEWSLETTER_BATCH_SIZE=7, LIMIT_FORUM_POST="1 per day")
    assert (app.config["NEWSLETTER_BATCH_SIZE"], app.config["LIMIT_FORUM_POST"]) == (7, "1 per day")


def test_passwords_are_hashed_with_scrypt_unless_a_setting_says_otherwise(app_factory):
    """The suite hashes cheaply (tests/conftest.py); a site left at its defaults uses scrypt, and a
    hash made either way is checked by the method it names."""
    from community.accounts.models import User

    app = app_factory(PASSWORD_HASH_METHOD=config.Config.PASSWORD_HASH_METHOD)
    with app.app_context():
        person = User(email="hash@county.example.gov", name="Hash Check")
        person.set_password("a long enough password")
        assert person.password_hash.startswith("scrypt:")
        assert person.check_password("a long enough password")
        assert not person.check_password("another password")
    assert config.Config.PASSWORD_HASH_METHOD == "scrypt"
