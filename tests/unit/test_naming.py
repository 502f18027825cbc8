import pytest

from faasforge.errors import InvalidValue
from faasforge.model import ImageRequest
from faasforge.naming import make_tag, validate_repository

REQUEST = ImageRequest("aws", "110.dynamic-html", "python", "3.11", "x64")


def test_default_tag_carries_the_content_hash() -> None:
    tag = make_tag(REQUEST, "abcdef0123456789" * 4)
    assert tag == "function.aws.110.dynamic-html.python-3.11-x64-abcdef012345"


def test_sebs_tag_matches_sebs_naming() -> None:
    assert make_tag(REQUEST, "0" * 64, style="sebs", sebs_version="1.2.1") == (
        "function.aws.110.dynamic-html.python-3.11-x64-1.2.1"
    )
    assert make_tag(REQUEST, "0" * 64, style="sebs", prefix="dev", sebs_version="1.2.1") == (
        "function.aws.110.dynamic-html.python-3.11-x64-dev-1.2.1"
    )


def test_tag_over_128_characters_is_refused_with_the_limit() -> None:
    long = ImageRequest("local", "1" + "0" * 100 + ".x", "python", "3.11", "x64")
    with pytest.raises(InvalidValue, match="at most 128 characters"):
        make_tag(long, "f" * 64)


def test_unknown_tag_style() -> None:
    with pytest.raises(InvalidValue, match="unknown tag style 'latest'; allowed: hash, sebs"):
        make_tag(REQUEST, "0" * 64, style="latest")


@pytest.mark.parametrize("bad", ["Upper", "a//b", "-lead", "a b", ""])
def test_repository_names_are_validated(bad: str) -> None:
    with pytest.raises(InvalidValue):
        validate_repository(bad)
