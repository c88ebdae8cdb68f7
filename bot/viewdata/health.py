"""The health bands a score falls in (bot/services/health.py scores them; the builders colour and group by them)."""

HEALTHY, AT_RISK, UNHEALTHY = "healthy", "at_risk", "unhealthy"
