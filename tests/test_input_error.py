"""An `InputError` is one line whatever its reason quotes, and travels through a process pool intact."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from dxaparse.errors import InputError


def test_raw_bytes_quoted_in_a_reason_are_escaped_onto_one_line():
    err = InputError("/in/a.pdf", "not a DXA report: starts with 'PK\x03\x04\n\x00\r\n\x1b[2J'")
    assert err.reason == r"not a DXA report: starts with 'PK\x03\x04\n\x00\r\n\x1b[2J'"
    assert str(err) == r"/in/a.pdf: not a DXA report: starts with 'PK\x03\x04\n\x00\r\n\x1b[2J'"


def test_a_file_name_with_a_line_break_is_kept_but_the_message_is_one_line():
    err = InputError("/in/a\nb.dcm", "unreadable DICOM")
    assert err.path == "/in/a\nb.dcm"  # the file as it is named, to find it
    assert str(err) == r"/in/a\nb.dcm: unreadable DICOM"


@given(path=st.text(), reason=st.text())
def test_every_reason_and_message_is_one_printable_line(path, reason):
    err = InputError(path, reason)
    assert err.reason.isprintable() and str(err).isprintable()
    if reason.isprintable():  # nothing to escape: the reason as given
        assert err.reason == reason


@given(path=st.text(), reason=st.text())
def test_it_pickles_with_its_path_and_reason(path, reason):
    err = InputError(path, reason)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is InputError
    assert (back.path, back.reason, str(back)) == (err.path, err.reason, str(err))
