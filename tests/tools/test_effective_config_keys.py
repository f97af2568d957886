"""config://effective names each setting by the key a TOML file sets it with, every table included."""

from __future__ import annotations

from config.schema import BudgetSchema, ConfigSchema, HttpSchema, ProviderSchema
from resources.views import effective_config


def test_every_table_of_the_configuration_is_shown(keyword_core):
    # [http] (session_idle_timeout_seconds) was missing: a user who set it could not see what the server read.
    shown = effective_config(keyword_core, environ={})
    assert set(ConfigSchema.model_fields) <= set(shown)
    assert shown["http"] == {"session_idle_timeout_seconds": 28800.0}
    assert set(shown["http"]) == set(HttpSchema.model_fields)


def test_budget_and_provider_keys_are_the_ones_a_file_sets(keyword_core):
    # They were the settings objects' fields: budget "allocations" as [["codex", 30.0], ...] (the file's key is
    # budget.allocation.codex), a provider's "block": {"requests_percent", ...} (block_requests_percent) and
    # task_type_models as pairs; copied into a file, each was refused as an unknown key.
    shown = effective_config(keyword_core, environ={})
    assert set(shown["budget"]) == set(BudgetSchema.model_fields)
    assert shown["budget"]["allocation"] == dict(keyword_core.settings.budget.allocations)
    for name, provider in shown["providers"].items():
        assert set(provider) - {"name"} == set(ProviderSchema.model_fields), name
        p = keyword_core.settings.provider(name)
        assert provider["block_requests_percent"] == p.block.requests_percent
        assert provider["block_tokens_percent"] == p.block.tokens_percent
        assert provider["task_type_models"] == dict(p.task_type_models)


def test_model_keys_are_the_ones_a_file_sets(keyword_core):
    from config.schema import ModelSchema

    for provider in effective_config(keyword_core, environ={})["providers"].values():
        assert all(set(m) == set(ModelSchema.model_fields) for m in provider["models"])
