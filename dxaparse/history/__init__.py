"""The patient's history: earlier exams in the store, the comparison with the prior one, the payer's
frequency rule and the precision study behind the least significant change (docs/history.md).

Coding stays a function of one exam's findings and the site's settings; what the store knows of the
patient's earlier exams enters as one value, `History`, looked up once per exam by the pipeline
(`pipeline.result_of`) and handed to the comparison and to billing.
"""

from .compare import compare
from .frequency import frequency_check
from .identity import Match, PatientKey, match
from .prior import History, lookup

__all__ = ["History", "Match", "PatientKey", "compare", "frequency_check", "lookup", "match"]
