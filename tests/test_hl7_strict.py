"""Every HL7 message dxaparse writes passes hl7apy's strict validation (HL7 v2.5.1), as it is: for every
bundled sample held, ready, released and amended (a credit, a new charge and a corrected result), for
exams missing a patient ID, a date, an accession, physicians or values, and from `dxaparse release`.
A receiving system's own validation is then the only one left, and no message needs mending on the way."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from dxaparse.billing import release
from dxaparse.code.settings import Hl7Envelope
from dxaparse.emit import HL7_KINDS
from dxaparse.emit.hl7 import hl7_messages
from dxaparse.emit.store import Store
from dxaparse.models import Billing, BillingStatus, ExamResult, Hold, HoldReason

from ._exams import exam
from .conftest import ROOT

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
SAMPLES = sorted((ROOT / "samples").rglob("*.expected.json"))
ENVELOPES = [Hl7Envelope(),
             Hl7Envelope(sending_facility="DXA-CLINIC", receiving_application="BILLING",
                         receiving_facility="MAIN-HOSP", processing_id="T", patient_id_authority="MAIN-HOSP",
                         patient_id_type="PI", patient_class="I", time_zone="Pacific/Chatham")]


def strict(text: str):
    """The message as hl7apy parses it in strict mode, after it validated; each DFT^P03 posts a charge."""
    assert text.endswith("\r") and "\n" not in text
    msg = parse_message(text, find_groups=True, validation_level=VALIDATION_LEVEL.STRICT)
    assert msg.validate()
    if msg.msh.msh_9.to_er7().startswith("DFT"):
        assert [s for s in text.split("\r") if s.startswith("FT1|")], "a DFT^P03 without an FT1"
    return msg


def held(reason: HoldReason = HoldReason.NEEDS_REVIEW) -> Billing:
    return Billing(status=BillingStatus.HELD, holds=[Hold(reason=reason, message="held for the test")])


def ready() -> Billing:
    return Billing(status=BillingStatus.READY)


def amended(result: ExamResult) -> ExamResult:
    """An earlier, billed version of the study whose charges differ: a credit goes out for it."""
    coding = result.coding.model_copy(deep=True)
    coding.cpt = [line.model_copy(update={"units": line.units + 1}) for line in coding.cpt] or \
        exam().coding.cpt
    return result.model_copy(update={"coding": coding, "billing": ready(),
                                     "source": result.source.model_copy(update={"sha256": "cd" * 32})})


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_every_message_of_every_sample_passes_strict_validation(path):
    """The sample as coded (held: its date is past the filing window), as ready in a site's envelope,
    and released as the amendment of a billed version with other charges."""
    result = ExamResult.model_validate(json.loads(path.read_text(encoding="utf-8")))
    released = result.model_copy(update={"billing": release(held(), "coder", at=NOW)})
    cases = [(result, None, ENVELOPES[0]),
             (result.model_copy(update={"billing": ready()}), None, ENVELOPES[1]),
             (released, amended(result), ENVELOPES[0])]
    seen = []
    for state, billed, envelope in cases:
        for kind, text in hl7_messages(state, billed, HL7_KINDS, NOW, envelope):
            msg = strict(text)
            assert msg.msh.msh_11.value == envelope.processing_id
            seen.append((kind, msg.msh.msh_10.value[-1]))
    charge = [("DFT^P03", "D")] if result.coding.cpt else []  # no DFT^P03 without a CPT line
    assert seen == [("ORU^R01", "P" if not result.billing.billable else "O"),
                    *charge, ("ORU^R01", "O"),
                    ("DFT^P03 credit", "R"), *charge, ("ORU^R01", "C")]


EDGES = {
    "no patient ID": {"patient": {"sex": "F", "id": None}},
    "empty patient ID": {"patient": {"id": ""}},
    "no sex, no age": {"patient": {"id": "MRN1"}},
    "no date": {"exam": {"accession": "ACC1"}},
    "no accession, no physicians": {"exam": {"date": "2024-03-01"}},
    "physicians": {"exam": {"date": "2024-03-01", "referring_physician": "O'BRIEN^MARY-ANN^^DR^MD",
                            "ordering_physician": "SMITH\\JONES^A=ヤマダ^タロウ"}},
    "hostile physicians": {"exam": {"date": "2024-03-01", "referring_physician": "A|B^C&D~E\\F\r\nG",
                                    "ordering_physician": "^^^^"}},
    "no values, no impression": {"measurements": [], "tbs": None, "frax": None, "impression": None},
}


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("billing", ["held", "ready"])
def test_edge_cases_pass_strict_validation_and_invent_nothing(edge, billing):
    e = exam(**EDGES[edge])
    billable = billing == "ready" and e.patient.id and e.exam.date
    e.billing = ready() if billable else held(HoldReason.MISSING_PATIENT_ID)
    messages = dict(hl7_messages(e, None, HL7_KINDS, NOW))
    assert ("DFT^P03" in messages) == bool(billable)
    for text in messages.values():
        msg = strict(text)
        dft = "DFT^P03" in msg.msh.msh_9.to_er7()
        pid = msg.pid if dft else msg.oru_r01_patient_result.oru_r01_patient.pid
        assert pid.pid_5.to_er7() == "^^^^^^U"  # name unknown: none invented
        assert pid.pid_3.to_er7() == ('""' if not e.patient.id else f"{e.patient.id}^^^^MR")
    oru = messages["ORU^R01"]
    if e.exam.date is None:  # no date of service is invented: OBR-7 stays empty
        assert next(s for s in oru.split("\r") if s.startswith("OBR|")).split("|")[7] == ""


def test_a_held_exam_without_id_or_date_sends_only_its_preliminary_results():
    e = exam(patient={"sex": "F", "id": None}, exam={"accession": "ACC1"})
    e.billing = held(HoldReason.MISSING_PATIENT_ID)
    [(kind, text)] = hl7_messages(e, exam(), HL7_KINDS, NOW)  # an earlier billed version is not credited
    assert kind == "ORU^R01" and "|P\r" in text
    strict(text)


def test_release_command_writes_credit_charge_and_correction_in_the_sites_envelope(tmp_path, cli):
    """`dxaparse release --config`: an amended study whose earlier version was billed."""
    first = exam(1)
    coding = first.coding.model_dump()
    coding["cpt"] = coding["cpt"][:1]
    second = exam(2, patient=first.patient.model_dump(), exam=first.exam.model_dump(), coding=coding)
    second.billing = held()
    store = tmp_path / "store.sqlite3"
    with Store(store) as s:
        s.add(first)
        s.add(second)
    site = tmp_path / "site.toml"
    site.write_text('[hl7]\nsending_facility = "DXA-CLINIC"\nreceiving_application = "BILLING"\n'
                    'processing_id = "T"\npatient_id_authority = "MAIN-HOSP"\ntime_zone = "Asia/Kolkata"\n',
                    encoding="utf-8")
    out = tmp_path / "out"
    run = cli("release", "--config", str(site), "--store", str(store), second.source.sha256,
              "--out-dir", str(out))
    assert run.code == 0, run.err
    raw = (out / "hl7" / f"{second.source.sha256}.release.hl7").read_bytes().decode()
    messages = [m for m in raw.split("\n") if m]
    assert [strict(m).msh.msh_9.to_er7() for m in messages] == [
        "DFT^P03^DFT_P03", "DFT^P03^DFT_P03", "ORU^R01^ORU_R01"]
    for m in messages:
        msh = m.split("|")
        assert msh[2:6] == ["DXAPARSE", "DXA-CLINIC", "BILLING", ""] and msh[10] == "T"
        assert msh[6].endswith("+0530") and "PID|1||MRN00001^^^MAIN-HOSP^MR||^^^^^^U|" in m
    credit, charge, oru = messages
    assert "|CD|" in credit and "|CG|" in charge and oru.split("\r")[-2].endswith("|C")


def test_the_result_sinks_hl7_files_carry_the_sites_envelope(tmp_path):
    """The hl7 export files of `watch` and `pacs --out-dir` (serve/sink.py), as `pacs --mllp` sends them."""
    from dxaparse.serve.sink import ResultSink

    e = exam(5)
    with Store(tmp_path / "store.sqlite3") as store:
        ResultSink(store, tmp_path / "out", ["hl7"], hl7=ENVELOPES[1]).commit([e])
    raw = (tmp_path / "out" / "hl7" / f"{e.source.sha256}.hl7").read_bytes().decode()
    messages = [m for m in raw.split("\n") if m]
    assert len(messages) == 2
    for m in messages:
        assert strict(m).msh.msh_4.to_er7() == "DXA-CLINIC"
        assert m.split("|")[6].endswith(("+1345", "+1245"))  # Chatham Islands: the zone's own offset
        assert "PID|1||MRN00005^^^MAIN-HOSP^PI||" in m and "PV1|1|I" in m
