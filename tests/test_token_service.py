"""IPC as token service provider: ID&V before tokens, one token per card per device, PAR, the
lifecycle (suspend, resume, delete), limited-use keys, the domain rules, the token events."""

from __future__ import annotations

import pytest

from elcart_sim import load_scenario
from elcart_sim.core.errors import TokenServiceError
from elcart_sim.core.records import Table
from elcart_sim.core.redact import mask_pan
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.scenario import ProvisioningSpec
from elcart_sim.tokens.identity import IdentityVerification, IdvResult
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Population


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario("national-day", scale=0.001, seed=5)
    return Population.build(scenario, RandomStreams(scenario.seed))


@pytest.fixture
def tokens(population):
    return TokenService(population, key_ttl_s=100.0, events=Table("token_events"))


def passed(card):
    return IdvResult.passed_before_the_day(card)


def test_no_token_without_passed_idv_for_that_card(tokens, population):
    card, other = (int(c) for c in population.enrolled_cards[:2])
    with pytest.raises(TokenServiceError, match=f"card {card}: no token without a passed identity and verification"):
        tokens.provision(card, IdvResult(card, False, 60.0, "failed"))
    with pytest.raises(TokenServiceError, match="no token without a passed"):
        tokens.provision(card, passed(other))
    assert len(tokens) == 0


@pytest.mark.parametrize(("expiry", "psn"), [("3013", 0), ("30-1", 0), ("3012", 100)])
def test_a_refused_credential_leaves_no_token_behind(tokens, population, expiry, psn):
    card = int(population.enrolled_cards[0])
    with pytest.raises(TokenServiceError) as info:
        tokens.provision(card, passed(card), expiry_yymm=expiry, psn=psn)
    assert str(info.value) == f"card {card}: expiry must be 'YYMM' and psn 0-99, got {expiry!r} and {psn}"
    assert len(tokens) == 0 and len(tokens._events) == 0


def test_one_token_per_card_per_device_all_tied_by_one_par(tokens, population):
    card = int(population.enrolled_cards[0])
    first = tokens.provision(card, passed(card), device_id=1)
    with pytest.raises(TokenServiceError, match=r"already has token .* on device 00000001 \(one token per card per device\)"):
        tokens.provision(card, passed(card), device_id=1)
    second = tokens.provision(card, passed(card), device_id=2)
    assert first.token_pan != second.token_pan and first.par == second.par
    assert first.token_pan == tokens.token_pan_for(card, 0) and second.token_pan == tokens.token_pan_for(card, 1)
    assert {tokens.detokenise(t).card for t in (first.token_pan, second.token_pan)} == {card}
    assert first.icc_master_key is None  # the phone gets keys, never a master key
    tokens.delete(first.token_pan, "phone replaced", 5.0)
    third = tokens.provision(card, passed(card), device_id=1)  # the device may be given a new token
    assert third.token_pan == tokens.token_pan_for(card, 2) and third.par == first.par


def test_lifecycle_transitions_and_their_records(tokens, population):
    card = int(population.enrolled_cards[1])
    token = tokens.provision(card, passed(card), device_id=9, at=1.0).token_pan
    record = tokens.detokenise(token)
    assert tokens.status_violation(record) is None
    tokens.suspend(token, "frozen in the bank app", 2.0)
    assert tokens.status_violation(record) is DeclineReason.TOKEN_SUSPENDED
    tokens.resume(token, "unfrozen", 3.0)
    assert record.status == "active"
    with pytest.raises(TokenServiceError, match="is active; only a suspended token can be resumed"):
        tokens.resume(token, "again", 3.5)
    tokens.delete(token, "phone lost", 4.0)
    assert tokens.status_violation(record) is DeclineReason.TOKEN_DELETED
    assert tokens.token_of(card, 9) is None
    for step in (tokens.suspend, tokens.resume, tokens.delete):
        with pytest.raises(TokenServiceError, match="it is deleted"):
            step(token, "too late", 5.0)
    with pytest.raises(TokenServiceError, match="the token service never issued it"):
        tokens.suspend("9417600000000000", "?", 5.0)
    assert tokens.status_violation(None) is DeclineReason.TOKEN_UNKNOWN
    events = tokens._events.to_frame()
    assert list(events.event.astype(str)) == ["provisioned", "suspended", "resumed", "deleted"]
    assert list(events["at"]) == [1.0, 2.0, 3.0, 4.0] and set(events.token_masked) == {mask_pan(token)}
    assert list(events.reason) == ["", "frozen in the bank app", "unfrozen", "phone lost"]


def test_keys_are_issued_in_batches_with_expiry_and_only_to_active_tokens(tokens, population):
    card = int(population.enrolled_cards[2])
    token = tokens.provision(card, passed(card)).token_pan
    batch = tokens.issue_keys(token, 3, 10.0)
    assert [k.key_index for k in batch] == [1, 2, 3] and {k.expires_at for k in batch} == {110.0}
    assert [k.key_index for k in tokens.issue_keys(token, 2, 50.0, issued_at=-20.0)] == [4, 5]
    assert (tokens.key_expiry(token, 2), tokens.key_expiry(token, 5), tokens.key_expiry(token, 6)) == (110.0, 80.0, None)
    assert batch[0].key != batch[1].key and len(batch[0].key) == 16
    tokens.suspend(token, "review", 60.0)
    assert tokens.issue_keys(token, 3, 61.0) == []
    events = tokens._events.to_frame()
    assert list(events.event.astype(str))[-2:] == ["suspended", "keys_refused"]
    assert list(events.key_count) == [0, 3, 2, 0, 0]


def test_domain_rules(tokens, population):
    card = int(population.enrolled_cards[3])
    record = tokens.detokenise(tokens.provision(card, passed(card), device_id=77).token_pan)
    assert tokens.channel_violation("071") is None and tokens.channel_violation("072") is None
    for mode in ("901", "012", "051", "010"):
        assert tokens.channel_violation(mode) is DeclineReason.DOMAIN_CHANNEL
    assert tokens.device_violation(record, 77) is None
    assert tokens.device_violation(record, 78) is DeclineReason.DOMAIN_DEVICE
    assert tokens.device_violation(record, None) is DeclineReason.DOMAIN_DEVICE


def test_identity_and_verification_draws_latency_and_outcome_from_its_own_streams():
    spec = ProvisioningSpec(idv_failure_share=0.25)
    results = [IdentityVerification(spec, RandomStreams(3)).verify(c) for c in range(1)]
    idv = IdentityVerification(spec, RandomStreams(3))
    draws = [idv.verify(c) for c in range(2000)]
    assert draws[0] == results[0]  # reproducible
    failed = sum(not d.passed for d in draws)
    assert 400 < failed < 600  # 25 % ± ~5 sigma
    assert all(d.reason for d in draws if not d.passed) and all(d.latency_s > 0 for d in draws)
    assert abs(sum(d.latency_s for d in draws) / 2000 - 120.0) < 20.0
    never = IdentityVerification(ProvisioningSpec(idv_failure_share=0.0), RandomStreams(3))
    assert all(never.verify(c).passed for c in range(200))
