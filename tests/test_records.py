"""Record tables: compact column storage that gives back exactly the rows appended."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from elcart_sim.core.records import _CHUNK, SCHEMAS, RecordError, Table


def hop(trace_id, arrived, hop="issuer", mti="0100", started=None, code="00", timed_out=0, issuer="AIYL"):
    started = arrived + 0.25 if started is None else started
    return {
        "trace_id": trace_id, "hop": hop, "mti": mti, "issuer": issuer, "arrived_at": arrived, "started_at": started,
        "finished_at": started + 0.5, "responded_at": started + 2.0, "response_code": code, "timed_out": timed_out,
    }  # fmt: skip


def receipt(trace_id, kkm_id, receipt_no, fiscal_sign, amount_tyiyn, printed_at):
    return {
        "trace_id": trace_id, "kkm_id": kkm_id, "receipt_no": receipt_no, "fiscal_sign": fiscal_sign,
        "amount_tyiyn": amount_tyiyn, "printed_at": printed_at,
    }  # fmt: skip


def test_a_row_is_stored_without_its_computed_columns_and_given_back_with_them():
    hops = Table("hops")
    assert hops.stored == ("trace_id", "hop", "mti", "issuer", "arrived_at", "started_at", "finished_at", "responded_at", "response_code", "timed_out")
    hops.append(**hop(7, 10.0))
    frame = hops.to_frame()
    assert list(frame.columns) == list(SCHEMAS["hops"])
    row = frame.iloc[0]
    assert (row.wait_s, row.service_s, row.residence_s) == (0.25, 0.5, 2.25)
    assert frame.dtypes.to_dict() == {
        "trace_id": np.int32, "hop": "category", "mti": "category", "issuer": "category", "arrived_at": np.float64,
        "started_at": np.float64,
        "finished_at": np.float64, "responded_at": np.float64, "wait_s": np.float64, "service_s": np.float64,
        "residence_s": np.float64, "response_code": "category", "timed_out": np.int8,
    }  # fmt: skip


def test_the_differences_are_the_float64_subtractions_of_the_instants():
    hops = Table("hops")
    rng = np.random.default_rng(1)
    instants = np.sort(rng.uniform(0, 86_400, size=(50, 4)), axis=1)
    for i, (a, s, f, r) in enumerate(instants.tolist()):
        hops.append(trace_id=i, hop="switch", mti="0100", issuer="RSK", arrived_at=a, started_at=s, finished_at=f, responded_at=r, response_code="00", timed_out=0)
    frame = hops.to_frame()
    assert frame.wait_s.tolist() == [s - a for a, s, _, _ in instants.tolist()]
    assert frame.residence_s.tolist() == [r - a for a, _, _, r in instants.tolist()]


def test_a_row_must_name_every_stored_field_and_no_other_and_is_refused_at_once():
    hops = Table("hops")
    row = hop(1, 1.0)
    del row["issuer"]
    with pytest.raises(RecordError, match=r"hops: a row must give trace_id, hop, mti, issuer, .* by name; missing issuer"):
        hops.append(**row)
    with pytest.raises(RecordError, match=r"missing issuer; not a stored field: wait_s"):
        hops.append(**row, wait_s=0.25)  # a computed column is not given
    with pytest.raises(TypeError):
        hops.append(1, "issuer", "0100")  # never by position
    assert len(hops) == 0


def test_a_value_the_column_cannot_hold_names_the_table_and_column():
    hops = Table("hops")
    hops.append(**hop(2**31, 1.0))  # beyond int32
    with pytest.raises(RecordError, match=r"hops\.trace_id \(i\)"):
        hops.to_frame()


def test_rows_cross_chunk_boundaries_and_to_frame_leaves_the_table_growing():
    hops = Table("hops")
    n = 2 * _CHUNK + 17
    for i in range(n):
        hops.append(**hop(i, float(i), hop=("acquirer", "switch", "issuer")[i % 3]))
        if i == _CHUNK + 5:
            early = hops.to_frame()
    assert len(early) == _CHUNK + 6 and len(hops) == n
    frame = hops.to_frame()
    assert frame.trace_id.tolist() == list(range(n))
    assert frame.hop.tolist() == [("acquirer", "switch", "issuer")[i % 3] for i in range(n)]
    assert list(frame.hop.cat.categories) == ["acquirer", "switch", "issuer"]  # order of first appearance


def test_category_codes_widen_as_the_set_grows():
    receipts = Table("receipts")
    n = 40_000  # past int8 (128) and int16 (32,768) codes
    for i in range(n):
        receipts.append(**receipt(i, f"KKM{i:09d}", 1, f"{i:010d}", 100, float(i)))
    assert len(receipts) == n
    frame = receipts.to_frame()
    assert receipts.columns["kkm_id"].typecode == "i"
    assert frame.kkm_id.tolist()[-3:] == [f"KKM{i:09d}" for i in range(n - 3, n)]
    assert frame.fiscal_sign.tolist()[:2] == ["0000000000", "0000000001"]  # leading zeros kept
    assert frame.fiscal_sign.dtype == "string"


def test_a_fiscal_sign_must_have_ten_digits():
    receipts = Table("receipts")
    receipts.append(**receipt(1, "KKM1", 1, "12345", 100, 0.0))
    with pytest.raises(RecordError, match="receipts.fiscal_sign"):
        receipts.to_frame()


def test_take_frame_sorts_stably_like_pandas_and_empties_the_table():
    rng = np.random.default_rng(3)
    hops = Table("hops")
    rows = [hop(int(t), float(a), code=str(k)) for k, (t, a) in enumerate(zip(rng.integers(0, 30, 300), rng.integers(0, 5, 300)))]
    for row in rows:
        hops.append(**row)
    expected = hops.to_frame().sort_values(["trace_id", "arrived_at"], kind="stable").reset_index(drop=True)
    taken = hops.take_frame(order_by=("trace_id", "arrived_at"))
    pd.testing.assert_frame_equal(taken, expected, check_exact=True)
    assert len(hops) == 0 and len(hops.to_frame()) == 0
    hops.append(**hop(1, 1.0))  # the table goes on taking rows; the frame keeps its own
    assert len(hops) == 1 and len(taken) == 300


def test_take_frame_without_reordering_builds_on_the_table_arrays():
    receipts = Table("receipts")
    for i in range(10):
        receipts.append(**receipt(i, "KKM1", i + 1, f"{i:010d}", 100, 60.0 * i))
    arrays = dict(receipts.columns)
    frame = receipts.take_frame()
    assert np.shares_memory(frame["printed_at"].to_numpy(), np.frombuffer(arrays["printed_at"], dtype=np.float64))
    assert frame.receipt_no.tolist() == list(range(1, 11))


def test_an_empty_table_gives_an_empty_frame_with_every_column():
    for name, schema in SCHEMAS.items():
        if name in ("postings", "samples"):  # kept by the ledger; read from the hops
            continue
        frame = Table(name).take_frame(order_by=("trace_id",) if "trace_id" in schema else ())
        assert list(frame.columns) == list(schema) and len(frame) == 0


def test_a_tables_categories_named_in_advance_keep_their_order():
    table = Table("contacts", categories={"channel": ("phone", "chat")})
    table.append(channel="chat", cause="general", arrived_at=1.0, hour=0, wait_s=0.0, answered=1, handle_s=5.0, replication=0)
    frame = table.take_frame()
    assert list(frame["channel"].cat.categories) == ["phone", "chat"] and frame["channel"].tolist() == ["chat"]
    with pytest.raises(RecordError, match="contacts.wait_s: not a category column"):
        Table("contacts", categories={"wait_s": (1.0,)})
