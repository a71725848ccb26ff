"""N varied synthetic inputs of each kind, drawn with the sample generators' own building blocks.

    sr/NNNNN.dcm         DXA SRs in the generator's three dialects (Hologic containers, GE LOINC, GE
                         names carrying the region), random scores, indications and impressions
    pdf/NNNNN.pdf        the fifteen PDF sample layouts with every printed value jittered; the three
                         narrative layouts with random findings sentences
    images/NNNNN/*.dcm   image-only studies: Hologic SC (spine, hip, IVA + GSPS) or GE CR (spine,
                         femur, LVA); headers vary, pixel data is the generator's 8x8 stand-in

Deterministic for a given seed. Synthetic patients only.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDICATIONS = ["Postmenopausal.", "Long-term prednisone for polymyalgia rheumatica.",
               "Breast cancer on anastrozole.", "Screening.", "Primary hyperparathyroidism.", None]
IMPRESSIONS = ["Osteoporosis by WHO criteria.", "Low bone mass (osteopenia).", "Normal bone density.", None]


def _script(name: str):
    """samples/<name>.py as a module (they are scripts, not part of the package)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "samples" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _score(rng: random.Random) -> float:
    return round(rng.uniform(-3.6, 1.2), 1)


def _bmd(t: float) -> float:
    return round(0.94 + 0.11 * t, 3)


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2012, 2025)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def sr_object(i: int, rng: random.Random):
    """One SR dataset; the dialect cycles with `i`."""
    g = _script("generate_dicom")
    p = g.Patient(f"bench-sr-{i}", rng.choice("FFFFM"), float(rng.randint(42, 88)), _date(rng))
    dialect = i % 3
    if dialect == 0:  # Hologic: a container per scan and per region, single vertebrae and the total
        rows = [*g.spine_rows("AP Spine", [_score(rng) for _ in range(4)], _score(rng), _score(rng)),
                *g.femur_rows("Left Femur", "left", _score(rng), _score(rng), more=rng.random() < 0.5)]
        vendor, content, comprehensive = "hologic", g.rows_containers(rows, g.HOLOGIC_NAMES), False
    elif dialect == 1:  # GE: LOINC values with finding-site / laterality modifiers, dual hip
        t = {k: _score(rng) for k in ("neck_l", "neck_r", "total_l", "total_r", "spine")}
        rows = [g.row("femoral_neck", "Femoral Neck", side, bmd=_bmd(t[f"neck_{s}"]), t_score=t[f"neck_{s}"],
                      z_score=round(t[f"neck_{s}"] + 1.0, 1)) for side, s in (("left", "l"), ("right", "r"))]
        rows += [g.row("total_hip", "Total Hip", side, bmd=_bmd(t[f"total_{s}"]), t_score=t[f"total_{s}"])
                 for side, s in (("left", "l"), ("right", "r"))]
        rows.append(g.row("lumbar_spine", "L1-L4", bmd=_bmd(t["spine"]), t_score=t["spine"]))
        vendor, content, comprehensive = "ge-lunar", g.rows_loinc(rows), True
    else:  # GE: flat values whose names carry the region
        rows = [g.row("lumbar_spine", "L1-L4", bmd=_bmd(s := _score(rng)), t_score=s),
                g.row("femoral_neck", "Left Neck", "left", bmd=_bmd(s := _score(rng)), t_score=s),
                g.row("total_hip", "Left Total Hip", "left", bmd=_bmd(s := _score(rng)), t_score=s)]
        vendor, content, comprehensive = "ge-lunar", g.rows_prefixed(rows, g.GE_NAMES), False
    content += g.statements(rng.choice(INDICATIONS), rng.choice(IMPRESSIONS))
    return g.sr(p, vendor, content, comprehensive=comprehensive)


STUDY_SIZES = (2, 2, 4, 3)
"""Objects of image study j: STUDY_SIZES[j % 4] (Hologic, GE, Hologic with IVA, GE with LVA)."""


def image_study(j: int, rng: random.Random) -> dict:
    """File name → dataset of one image-only study: Hologic or GE by turns, with VFA every other pair."""
    g = _script("generate_dicom")
    p = g.Patient(f"bench-img-{j}", rng.choice("FFFM"), float(rng.randint(45, 85)), _date(rng))
    vfa = j % 4 >= 2
    if j % 2 == 0:
        objects = {"spine.dcm": g.hologic_sc(p, "img1", "LSPINE", series="AP Lumbar Spine"),
                   "hip.dcm": g.hologic_sc(p, "img2", "HIP", rng.choice("LR"), series="Hip")}
        if vfa:
            objects |= {"iva.dcm": g.hologic_sc(p, "img3", "LSPINE", series="IVA", bits=16),
                        "iva-ps.dcm": g.hologic_gsps(p, "ps1")}
    else:
        objects = {"spine.dcm": g.ge_cr(p, "img1", "AP Spine", f"B{j:05d}.dfc"),
                   "femur.dcm": g.ge_cr(p, "img2", rng.choice(["Left Femur", "Right Femur"]),
                                        f"B{j:05d}.dfe")}
        if vfa:
            objects["lva.dcm"] = g.ge_cr(p, "img3", "LVA", f"B{j:05d}.dfv")
    return objects


def _jitter(values: dict, rng: random.Random) -> None:
    for key, value in values.items():
        if value is not None:
            step = 0.1 if key in ("t_score", "z_score") else 1.0 if key.endswith("percent") else 0.01
            values[key] = round(value + rng.randint(-5, 5) * step, 3)


def pdf_report(i: int, path: Path, rng: random.Random) -> None:
    """One PDF: a sample layout by turns, values jittered (narratives: fresh findings sentences)."""
    g = _script("generate_pdf")
    name = list(g.SAMPLES)[i % len(g.SAMPLES)]
    if name.startswith("narrative"):
        style = g.Style(rng.choice(["Times", "Helvetica", "Courier"]), 9.5)
        t = [_score(rng) for _ in range(3)]
        doc = g.Narrative("BONE DENSITY (DXA) REPORT", [
            [f"Patient: SYNTHETIC, PATIENT {i}", f"MRN: SYN-B{i:05d}"],
            [f"DOB: 0{rng.randint(1, 9)}/1{rng.randint(0, 9)}/19{rng.randint(40, 70)}", "Sex: F",
             f"Exam Date: 0{rng.randint(1, 9)}/{rng.randint(10, 28)}/2024"]], [
            ("HISTORY", [rng.choice(INDICATIONS[:-1]),
                         f"{rng.randint(50, 85)}-year-old postmenopausal woman."]),
            ("TECHNIQUE", ["DXA of the lumbar spine and left hip on a Hologic Horizon A system."]),
            ("FINDINGS", [f"Lumbar spine (L1-L4): BMD {_bmd(t[0])} g/cm², T-score {t[0]}.",
                          f"Left femoral neck: BMD {_bmd(t[1])} g/cm², T-score {t[1]}.",
                          f"Left total hip: BMD {_bmd(t[2])} g/cm², T-score {t[2]}."]),
            ("IMPRESSION", [rng.choice(IMPRESSIONS[:-1])])])
        c = g.new_canvas(path, style)
        g.narrative_pages(c, style, doc)
    else:
        sample = g.SAMPLES[name]()
        for table in sample.tables:  # the rows the drawing closes over: jitter them before drawing
            for region in table:
                _jitter(region.values, rng)
        c = g.new_canvas(path, sample.style)
        sample.draw(c)
    c.save()


def _write(task: tuple[str, int, str, int]) -> list[str]:
    """One input (an image study: its objects), seeded by its own index so any worker makes the same."""
    kind, i, out, seed = task
    rng = random.Random(f"{seed}/{kind}/{i}")
    if kind == "sr":
        path = Path(out) / "sr" / f"{i:05d}.dcm"
        _script("generate_dicom").save(sr_object(i, rng), path)
        return [str(path)]
    if kind == "pdf":
        path = Path(out) / "pdf" / f"{i:05d}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf_report(i, path, rng)
        return [str(path)]
    paths = []
    for name, ds in image_study(i, rng).items():
        _script("generate_dicom").save(ds, path := Path(out) / "images" / f"{i:05d}" / name)
        paths.append(str(path))
    return paths


def generate(out: Path, n_sr: int, n_pdf: int, n_images: int, seed: int = 7,
             jobs: int = 1) -> dict[str, list]:
    """Write the inputs under `out`; returns {"sr": [path], "pdf": [path], "images": [[paths of a study]]}
    with at least `n_images` image objects in all (studies hold two to four)."""
    from concurrent.futures import ProcessPoolExecutor

    tasks = [("sr", i, str(out), seed) for i in range(n_sr)]
    tasks += [("pdf", i, str(out), seed) for i in range(n_pdf)]
    studies = 0
    while sum(STUDY_SIZES[j % 4] for j in range(studies)) < n_images:
        studies += 1
    tasks += [("images", j, str(out), seed) for j in range(studies)]
    with ProcessPoolExecutor(jobs) as pool:
        written = list(pool.map(_write, tasks, chunksize=64))
    made: dict[str, list] = {"sr": [], "pdf": [], "images": []}
    for (kind, *_), paths in zip(tasks, written, strict=True):
        paths = [Path(p) for p in paths]
        made[kind].append(paths if kind == "images" else paths[0])
    return made
