"""Cost estimates over literal settings (prices written here, not read from the shipped file)."""

from __future__ import annotations

import pytest

from router_core.cost import (
    SYSTEM_PROMPT_TOKENS,
    UNLIMITED_OUTPUT_TOKENS,
    CostEstimator,
    estimate_tokens,
    max_output_tokens_for_budget,
    request_cost,
)
from router_core.settings import BlockThresholds, BudgetSettings, ModelPrice, ProviderSettings, Settings


def provider(
    name: str, models: tuple[ModelPrice, ...], cost_per_request: float, **extra: object
) -> ProviderSettings:
    return ProviderSettings(
        name=name,
        display_name=name.title(),
        specializations=(),
        strong_keywords=(),
        weak_keywords=(),
        requests_per_minute=100,
        tokens_per_minute=100_000,
        block=BlockThresholds(80, 80),
        cost_tier="budget",
        fallback_order=(),
        cost_per_request=cost_per_request,
        default_model=models[0].name,
        models=models,
        **extra,  # type: ignore[arg-type]
    )


CODEX = provider(
    "codex",
    (ModelPrice("big", 1.0, 10.0), ModelPrice("mini", 0.25, 2.0)),
    0.00001,
    task_type_models=(("testing", "mini"),),
)
GEMINI = provider("gemini", (ModelPrice("flash", 0.3, 2.5),), 0.00002)
FREE_OUTPUT = provider("claude", (ModelPrice("free-out", 1.0, 0.0),), 0.0)

SETTINGS = Settings(
    providers=(CODEX, GEMINI),
    budget=BudgetSettings(daily_total=100.0, allocations=(("codex", 50.0), ("gemini", 50.0))),
    output_tokens_by_task_type=(("code_generation", 1500), ("testing", 800)),
)


@pytest.mark.parametrize(
    ("text", "cpt", "tokens"),
    [("", 4.0, 1), ("abcd", 4.0, 1), ("abcde", 4.0, 2), ("x" * 400, 4.0, 100), ("x" * 10, 2.5, 4)],
)
def test_estimate_tokens(text: str, cpt: float, tokens: int) -> None:
    assert estimate_tokens(text, cpt) == tokens


TEXTS_IN_SCRIPTS = [
    "Implement a JWT login endpoint in Flask with refresh tokens and rate limiting for the API, then write tests.",
    "在Flask中实现一个JWT登录端点，并为API添加刷新令牌和速率限制，然后编写测试。",
    "FlaskでJWTログインエンドポイントを実装し、APIにリフレッシュトークンとレート制限を追加してからテストを書いてください。",
    "Flask에서 JWT 로그인 엔드포인트를 구현하고 API에 리프레시 토큰과 속도 제한을 추가한 다음 테스트를 작성하세요.",
    "Реализуйте конечную точку входа JWT во Flask с токенами обновления и ограничением скорости для API, затем напишите тесты.",
    "Implementieren Sie einen JWT-Login-Endpunkt in Flask mit Refresh-Tokens und Ratenbegrenzung für die API.",
]


@pytest.mark.parametrize("text", TEXTS_IN_SCRIPTS, ids=["en", "zh", "ja", "ko", "ru", "de"])
def test_estimates_are_near_a_real_tokenizer_in_every_script(text: str) -> None:
    # Chinese at chars/4 was 11 tokens where o200k_base counts 26: a third of what the task would use.
    bpe_openai = pytest.importorskip("bpe_openai", reason="bpe-openai (a test extra) counts tokens")
    real = len(bpe_openai.get_encoding("o200k_base").encode(text))
    assert 0.75 * real <= estimate_tokens(text) <= 1.5 * real


def test_estimate_uses_text_tokens_plus_system_prompt_and_expected_output() -> None:
    est = CostEstimator(SETTINGS).estimate("codex", "x" * 400, "code_generation")
    assert SYSTEM_PROMPT_TOKENS == 200
    assert (est.provider, est.model, est.input_tokens, est.output_tokens) == ("codex", "big", 300, 1500)
    # (300 * 1.0 + 1500 * 10.0) / 1e6 + 0.00001
    assert est.usd == 0.01531


def test_task_type_model_and_explicit_model() -> None:
    estimator = CostEstimator(SETTINGS)
    testing = estimator.estimate("codex", "x" * 400, "testing")
    assert (testing.model, testing.output_tokens) == ("mini", 800)
    assert testing.usd == 0.001685  # (300 * 0.25 + 800 * 2.0) / 1e6 + 0.00001
    forced = estimator.estimate("codex", "x" * 400, "testing", model="big")
    assert forced.model == "big"
    assert forced.usd == 0.00831  # (300 + 8000) / 1e6 + 0.00001


def test_max_output_tokens_caps_output() -> None:
    est = CostEstimator(SETTINGS).estimate("codex", "x" * 400, "code_generation", max_output_tokens=100)
    assert est.output_tokens == 100
    assert est.usd == 0.00131  # (300 + 1000) / 1e6 + 0.00001


def test_unknown_task_type_expects_1000_output_tokens() -> None:
    assert CostEstimator(SETTINGS).estimate("gemini", "hi", "research").output_tokens == 1000


def test_estimate_all_covers_every_provider() -> None:
    all_costs = CostEstimator(SETTINGS).estimate_all("x" * 400, "code_generation")
    assert list(all_costs) == ["codex", "gemini"]
    assert all_costs["gemini"].usd == 0.00386  # (300 * 0.3 + 1500 * 2.5) / 1e6 + 0.00002


def test_estimate_all_counts_the_input_once_and_gives_each_providers_estimate() -> None:
    estimator = CostEstimator(SETTINGS)
    for text in ("Fix the bug", "x" * 4000, "写一个排序函数, please", ""):
        for task_type in ("code_generation", "research", "architecture"):
            expected = {p: estimator.estimate(p, text, task_type) for p in ("codex", "gemini")}
            assert estimator.estimate_all(text, task_type) == expected


def test_unknown_provider_raises() -> None:
    with pytest.raises(KeyError, match="unknown provider 'mistral'"):
        CostEstimator(SETTINGS).estimate("mistral", "x", "code_generation")


def test_max_output_tokens_for_budget_is_the_largest_that_fits() -> None:
    # input 300 tokens = $0.0003, request $0.00001, output $0.00001 per token
    n = max_output_tokens_for_budget(CODEX, "big", 300, 0.01)
    assert n == 969
    price = CODEX.model("big")
    assert request_cost(CODEX, price, 300, n) <= 0.01 < request_cost(CODEX, price, 300, n + 1)


@pytest.mark.parametrize("max_cost", [0.0005, 0.0123457, 1.0])
def test_max_output_tokens_for_budget_boundary_holds(max_cost: float) -> None:
    price = GEMINI.model()
    n = max_output_tokens_for_budget(GEMINI, None, 1234, max_cost)
    assert n > 0
    assert request_cost(GEMINI, price, 1234, n) <= max_cost < request_cost(GEMINI, price, 1234, n + 1)


def test_max_output_tokens_for_budget_zero_when_input_alone_exceeds() -> None:
    assert max_output_tokens_for_budget(CODEX, "big", 300, 0.0003) == 0  # 0.0003 + 0.00001 > 0.0003


def test_max_output_tokens_for_budget_unlimited_when_output_is_free() -> None:
    assert max_output_tokens_for_budget(FREE_OUTPUT, None, 10, 1.0) == UNLIMITED_OUTPUT_TOKENS


def test_the_expected_output_is_capped_at_the_configured_output_cap() -> None:
    # execution.max_output_tokens = 1000: no request can bill more output than that, and the executor's estimate
    # is capped at it; the routing estimate counted the 1,500 expected and overstated the task by half.
    from dataclasses import replace

    capped = replace(SETTINGS, execution=replace(SETTINGS.execution, max_output_tokens=1000))
    est = CostEstimator(capped).estimate("codex", "x" * 400, "code_generation")
    assert (est.output_tokens, est.usd) == (1000, 0.01031)  # (300 + 10000) / 1e6 + 0.00001
    assert CostEstimator(capped).estimate("codex", "x" * 400, "code_generation", max_output_tokens=100).output_tokens == 100
