"""DMN 1.3 decision tables: reading (``model``, on SpiffWorkflow's DMN parser), S-FEEL
(``feel``), the seven hit policies (``evaluate``) and the checks run on upload (``checks``)."""

from .evaluate import EvaluationError, Outcome, evaluate, evaluate_table
from .feel import FeelError
from .model import Definitions, ModelError, Table, parse

__all__ = [
    "Definitions",
    "EvaluationError",
    "FeelError",
    "ModelError",
    "Outcome",
    "Table",
    "evaluate",
    "evaluate_table",
    "parse",
]
