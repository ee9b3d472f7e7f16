"""A list file is read into one block per column (memory: docs/performance.md); the blocks grow
when the first chunk's estimate of the record count falls short, and a text column widens when
a longer value comes, giving the same columns as the file read in one piece."""

from __future__ import annotations

from unittest import mock

import numpy as np

from dialer.lists import listfile
from dialer.lists.listfile import _Column, read_list

HEADER = (
    "record_id,contact_info,record_type,record_status,call_result,attempt,dial_sched_time,"
    "call_time,daily_from,daily_till,tz_dbid,chain_id,chain_n,customer_id\n"
)


def test_a_column_grows_and_widens():
    c = _Column(capacity=2)
    c.append(np.array([b"ab", b"c"], dtype="S2"))
    c.append(np.array([b"defgh"], dtype="S5"))  # wider: the column widens
    c.append(np.array([b"i", b"j", b"k"], dtype="S1"))  # past the capacity: it grows
    assert c.result().tolist() == [b"ab", b"c", b"defgh", b"i", b"j", b"k"]
    n = _Column(capacity=1000)
    for k in range(5):
        n.append(np.arange(k * 3, k * 3 + 3, dtype=np.int32))
    assert n.result().dtype == np.int32 and n.result().tolist() == list(range(15))


def test_long_records_first_then_short_ones_read_as_one_piece(tmp_path):
    """The first chunk's long records make the estimate far too small for the rest."""
    long = [
        f"{i},+1 (555) 000-{i:04d},2,1,0,0,,,28800,75600,1,,0,C{'x' * 200}{i}\n" for i in range(20)
    ]
    short = [f"{i},555{i:04d},2,1,0,0,,,,,,,0,{i}\n" for i in range(20, 2000)]
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "".join(long + short))
    whole = read_list(str(path), (1,))
    listfile._read_list.cache_clear()
    with mock.patch.object(listfile, "CHUNK", 300):
        cut = read_list(str(path), (1,))
    listfile._read_list.cache_clear()
    assert len(cut) == 2000 and cut.record_id.tolist() == list(range(2000))
    for name in ("record_id", "contact_info", "customer_id", "daily_from", "tz_dbid", "rows"):
        assert np.array_equal(getattr(whole, name), getattr(cut, name)), name
    assert cut.customer_id[0].startswith(b"Cxxx") and cut.customer_id[-1] == b"1999"
    assert cut.contact_info[0] == b"+1 (555) 000-0000" and cut.rows[-1] == 2001
