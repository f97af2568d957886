"""The agent pool (design section 5): which agent runs a task on a provider."""

from router_core.agents.pool import AgentPool
from router_core.agents.selection import score, select_agent

__all__ = ["AgentPool", "score", "select_agent"]
