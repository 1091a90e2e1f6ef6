"""Published numbers the range-of-motion report compares against, each with its source.

Two kinds, kept apart on purpose:

* **Reference values** of healthy adults: shown beside a result as what others measured, never
  as a target. Instruments disagree (a goniometer reads a young adult's rotation at ~49 deg, a
  3D optoelectronic system the whole rotation arc at ~150 deg), so each value names its
  instrument and group.
* **The smallest detectable change (SDC/MDC)** of a camera-based neck range test: a change
  smaller than it cannot be told from measurement noise. No camera-based study with a
  per-direction SDC was found (see `SDC_SEARCH_NOTE`), so every direction is "not
  established"; the CROM device's MDC is given as context only, because it belongs to another
  instrument. The spread of the three trials of one test is NOT an SDC: it is within-session
  repeatability of one person on one day.

Pure data: no numpy, no cv2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Source:
    """A published source.

    Attributes:
        key: Short id used in the report's footnotes.
        citation: Authors, title, journal, year.
        url: Where it was read.
        instrument: What measured the values.
        group: Who was measured.
    """

    key: str
    citation: str
    url: str
    instrument: str
    group: str


ADEMOYEGUN_2018 = Source(
    "Ademoyegun 2018",
    "Ademoyegun AB, Egwu MO, Mbada CE. Concurrent validity and reliability of the Microsoft "
    "Kinect device in cervical spine range of motion assessment. Archives of Physiotherapy and "
    "Global Researches 2018 (doi:10.15442/apgr.22.4.3)",
    "http://apgr.wssp.edu.pl/concurrent-validity-and-reliability-of-the-microsoft-kinect-device-"
    "in-cervical-spine-range-of-motion-assessment/",
    "universal goniometer",
    "420 healthy undergraduates (young adults)",
)

SPINE_2009_FEMALES = Source(
    "Spine 2009",
    "Active head and cervical range of motion: effect of age in healthy females. Spine, "
    "August 2009 (PubMed 19680100)",
    "https://read.qxmd.com/read/19680100/active-head-and-cervical-range-of-motion-effect-of-age-"
    "in-healthy-females",
    "3D optoelectronic motion analysis (whole arcs)",
    "63 healthy females aged 15-45",
)

ANWAR_CROM_MDC = Source(
    "Anwar CROM",
    "Anwar S, Arsalan SA, Zafar H, Ahmad A, Gillani SA, Hanif A. Intrarater reliability of "
    "cervical range of motion device in measuring cervical active range of motion in patients "
    "with chronic neck pain and respiratory dysfunction. Anaesthesia, Pain & Intensive Care",
    "https://apicareonline.com/index.php/APIC/article/download/1957/2872?inline=1",
    "CROM device (not a camera)",
    "30 patients with chronic neck pain",
)


@dataclass(frozen=True)
class Reference:
    """A healthy adults' mean and standard deviation for one direction (degrees)."""

    mean: float
    sd: float
    source: Source


#: Per direction (see `coach.coaching.measure.Direction`): Ademoyegun et al. 2018, goniometer means of
#: 420 young adults (flexion, extension, right/left rotation, right/left lateral flexion).
DIRECTION_REFERENCE: Mapping[str, Reference] = MappingProxyType({
    "flexion": Reference(36.71, 6.34, ADEMOYEGUN_2018),
    "extension": Reference(43.11, 5.54, ADEMOYEGUN_2018),
    "rotation-right": Reference(49.15, 5.88, ADEMOYEGUN_2018),
    "rotation-left": Reference(47.69, 5.11, ADEMOYEGUN_2018),
    "lateral-right": Reference(23.22, 3.95, ADEMOYEGUN_2018),
    "lateral-left": Reference(22.67, 3.83, ADEMOYEGUN_2018),
})


@dataclass(frozen=True)
class ArcReference:
    """Whole-arc means of one age group (degrees)."""

    ages: str
    arc_deg: float
    source: Source


#: Per total arc: the Spine 2009 study's means by age group (healthy females).
ARC_REFERENCE: Mapping[str, tuple[ArcReference, ...]] = MappingProxyType({
    "flexion-extension": (ArcReference("15-18", 137.0, SPINE_2009_FEMALES),
                          ArcReference("20-30", 128.0, SPINE_2009_FEMALES),
                          ArcReference("35-45", 127.0, SPINE_2009_FEMALES)),
    "lateral-flexion": (ArcReference("15-18", 103.0, SPINE_2009_FEMALES),
                        ArcReference("20-30", 101.0, SPINE_2009_FEMALES),
                        ArcReference("35-45", 100.0, SPINE_2009_FEMALES)),
    "rotation": (ArcReference("15-18", 143.0, SPINE_2009_FEMALES),
                 ArcReference("20-30", 151.0, SPINE_2009_FEMALES),
                 ArcReference("35-45", 143.0, SPINE_2009_FEMALES)),
})

#: The smallest detectable change of a camera-based neck range test, per direction, in the
#: direction's unit; None = not established (no published camera-based value found).
SDC: Mapping[str, float | None] = MappingProxyType({
    "rotation-right": None, "rotation-left": None, "lateral-right": None, "lateral-left": None,
    "flexion": None, "extension": None, "retraction": None,
})

SDC_SEARCH_NOTE = (
    "No published smallest detectable change (SDC/MDC) of a camera-based neck range-of-motion "
    "test was found for any direction (searched: webcam, smartphone camera, markerless, Kinect "
    "and MediaPipe cervical ROM reliability studies; those found report ICCs or agreement, not "
    "an SDC per direction), so whether a change is real is 'not established'. For context "
    "only, not applied: with the CROM device the MDC ranged from 3.5 deg (extension) to 6.8 deg "
    "(left lateral flexion) in patients with chronic neck pain (Anwar et al.). The spread of "
    "this test's three trials is not a detectable change."
)

ALL_SOURCES: tuple[Source, ...] = (ADEMOYEGUN_2018, SPINE_2009_FEMALES, ANWAR_CROM_MDC)
