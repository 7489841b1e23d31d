"""Training: from warehouse tables to a saved model."""

from __future__ import annotations

from core.config import Settings
from core.locking import exclusive
from core.model import Model, ModelStore
from core.progress import ProgressCallback
from core.training.mode import ModePlan, plan_mode
from core.training.pipeline import TrainingParams, train
from core.warehouse import open_warehouse

__all__ = ["ModePlan", "TrainingParams", "train", "train_and_save", "training_plan"]


def training_plan(settings: Settings) -> ModePlan:
    """What automatic mode would choose for the configured warehouse, and why."""
    with open_warehouse(settings) as warehouse:
        return plan_mode(warehouse)


def train_and_save(
    settings: Settings,
    params: TrainingParams | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[str, Model]:
    """Train from the configured warehouse and publish the model as the current version.

    Holds the model folder's lock so two trainings (two browser tabs, CLI and dashboard)
    cannot interleave; the second is told to wait.
    """
    params = params or TrainingParams.from_settings(settings)
    store = ModelStore(settings.model_dir)
    with exclusive(settings.model_dir / ".train.lock", "training"):
        with open_warehouse(settings) as warehouse:
            model = train(warehouse, params, progress)
        version = store.save(model)
    return version, model
