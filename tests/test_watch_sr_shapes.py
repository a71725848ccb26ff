"""The watcher on a share of Structured Reports written the ways other scanners and software versions
write them (`_sr_shapes`), and on a study with one report page it cannot read: everything is coded,
nothing ends in failed/."""

from __future__ import annotations

from ._dicom import PATIENT, gen, write
from ._sr_shapes import RandomDraw, draw_exam, write_sr
from .test_watch import wait_for, watching

SHAPES = 16


def test_a_folder_of_srs_in_every_shape_is_coded_completely(tmp_path):
    with watching(tmp_path, study_quiet=0.3) as w:
        for seed in range(SHAPES):
            d = RandomDraw(seed)
            exam = draw_exam(d)
            patient = gen.Patient(f"shape-{seed}", "F", 66.0, "20240301")
            write(gen.sr(patient, exam.vendor, write_sr(d, exam)), w.inbox / f"shape-{seed}.dcm")
        wait_for(lambda: len(w.report.outcomes) == SHAPES, f"{SHAPES} SRs handled", timeout=120)
        assert len(w.names(w.done)) == SHAPES
        assert w.names(w.failed) == []
        coded = [o for o in w.report.outcomes if o.status == "coded"]
        assert len(coded) == SHAPES and all(len(o.results) == 1 for o in coded)
        assert not any(f.code in ("value_doubt", "unknown_scan_or_site")
                       for o in coded for f in o.results[0].coding.flags)


def test_a_study_with_an_unreadable_report_page_is_coded_from_its_images_with_a_flag(tmp_path):
    with watching(tmp_path, study_quiet=0.5, ocr=False) as w:
        folder = w.inbox / "exam"
        write(gen.hologic_sc(PATIENT, "spine", "LSPINE", series="AP Lumbar Spine"), folder / "spine.dcm")
        write(gen.hologic_sc(PATIENT, "hip", "HIP", "L", series="Left Hip"), folder / "hip.dcm")
        write(gen.hologic_sc(PATIENT, "report", "", series="Report"), folder / "page.dcm")
        wait_for(lambda: w.report.outcomes, "the study handled")
        assert len(w.names(w.done / "exam")) == 3
        assert w.names(w.failed) == []
        [outcome] = [o for o in w.report.outcomes if o.status == "coded"]
        [result] = outcome.results
        assert [c.code for c in result.coding.cpt] == ["77080"]
        [doubt] = result.exam.doubts
        assert doubt.reason == "object_not_read" and doubt.detail.endswith("report page image: OCR is off")
        assert "value_doubt" in [f.code for f in result.coding.flags] and result.coding.needs_review
