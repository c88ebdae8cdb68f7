"""All tables; importing this module registers them on SQLModel.metadata."""

from bot.models.customer import Customer, Touch
from bot.models.handoff import ACCEPTED, DRAFT, SUBMITTED, Handoff, Promise, Stakeholder
from bot.models.health import ApiToken, HealthRefresh, HealthScore, HealthSnapshot, HealthState
from bot.models.infra import ChannelHold, OutboxMessage, SlackEvent, SlackUser, WebhookEvent
from bot.models.revenue import ArrMovement, NpsResponse, RenewalOutcome
from bot.models.schedule import Occurrence, OnboardingTask, ReminderMute, TeamSetting
from bot.models.voc import RoadmapItem, VocDraft, VocLink, VocNote, VocReporter

__all__ = [
    "ArrMovement",
    "NpsResponse",
    "RenewalOutcome",
    "ACCEPTED",
    "ApiToken",
    "HealthRefresh",
    "HealthScore",
    "HealthSnapshot",
    "HealthState",
    "DRAFT",
    "SUBMITTED",
    "Customer",
    "Handoff",
    "Occurrence",
    "OnboardingTask",
    "ChannelHold",
    "OutboxMessage",
    "Promise",
    "ReminderMute",
    "RoadmapItem",
    "SlackEvent",
    "SlackUser",
    "Stakeholder",
    "TeamSetting",
    "Touch",
    "VocDraft",
    "VocLink",
    "VocNote",
    "VocReporter",
    "WebhookEvent",
]
