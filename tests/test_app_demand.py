"""The day's mix as the published figures put it: the card side (transactions_per_day ×
channels) and ELKART Mobile's side (app_payments_per_day × elkart_app_share × app_channels),
multiplied alike by the weekday, day-kind and growth factors and the scale; each app service's
own hourly profile; the new fields validated by their dotted paths."""

from __future__ import annotations

import numpy as np
import pytest

from elcart_sim import Simulation, load_scenario
from elcart_sim.capacity.sweeps import parse_assignment
from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario import APP_CHANNELS
from elcart_sim.world.demand import hourly_rates_per_s

SERVICES_DAY = load_scenario("money-services-day")


def _per_day(scenario, channel):
    return sum(hourly_rates_per_s(scenario, channel)) * 3600.0


def test_money_services_day_puts_30_percent_of_the_operators_payments_in_the_app_beside_the_taps():
    assert SERVICES_DAY.transactions_expected == pytest.approx(300_000)
    assert SERVICES_DAY.app_payments_per_day_effective == pytest.approx(1_360_000 * 0.3)
    assert SERVICES_DAY.app_payments_expected == pytest.approx(408_000)
    assert SERVICES_DAY.transfers_expected == pytest.approx(408_000 * 0.6)
    assert _per_day(SERVICES_DAY, "qr_merchant") == pytest.approx(408_000 * 0.15)


def test_doubling_elkart_s_share_doubles_every_app_channel_and_leaves_the_taps_alone():
    doubled = SERVICES_DAY.with_overrides({"demand.elkart_app_share": 0.6})
    assert hourly_rates_per_s(doubled) == hourly_rates_per_s(SERVICES_DAY)
    assert doubled.transactions_expected == SERVICES_DAY.transactions_expected
    assert doubled.app_payments_expected == pytest.approx(2 * SERVICES_DAY.app_payments_expected, rel=1e-12)
    for channel in APP_CHANNELS:
        np.testing.assert_allclose(hourly_rates_per_s(doubled, channel), 2 * np.asarray(hourly_rates_per_s(SERVICES_DAY, channel)), rtol=1e-12)


def test_a_sweep_of_elkart_s_share_reads_its_values_and_each_is_validated():
    path, values = parse_assignment("demand.elkart_app_share=0.2,0.3,0.5")
    volumes = [SERVICES_DAY.with_overrides({path: v}).app_payments_per_day_effective for v in values]
    assert volumes == pytest.approx([272_000, 408_000, 680_000])
    with pytest.raises(ScenarioError, match=r"^demand\.elkart_app_share must be between 0 and 1, got 2"):
        SERVICES_DAY.with_overrides({"demand.elkart_app_share": 2})
    with pytest.raises(ScenarioError, match=r"^services\.bills\.hourly_profile must list 24 hourly weights, got 3"):
        SERVICES_DAY.with_overrides({"services.bills.hourly_profile": [1, 2, 3]})
    with pytest.raises(ScenarioError, match=r"^services\.qr_payments\.hourly_profile\[5\] \(05:00\) must be >= 0, got -1"):
        SERVICES_DAY.with_overrides({"services.qr_payments.hourly_profile": [1.0] * 5 + [-1.0] + [1.0] * 18})


@pytest.mark.parametrize("override", [{"demand.years_ahead": 2}, {"date": "2025-07-05"}, {"demand.day_kind": "salary"}, {"scale": 0.01}])
def test_the_app_grows_and_varies_with_the_day_as_the_taps_do(override):
    varied = SERVICES_DAY.with_overrides(override)
    factor = varied.transactions_expected / SERVICES_DAY.transactions_expected
    assert factor != 1
    assert varied.app_payments_expected == pytest.approx(factor * SERVICES_DAY.app_payments_expected, rel=1e-12)


def test_a_day_without_app_channels_has_no_app_payments_whatever_the_share():
    national = load_scenario("national-day").with_overrides({"demand.app_channels": {}, "demand.elkart_app_share": 0.5})
    assert national.app_payments_expected == 0 and national.app_payments_per_day_effective == 0
    assert all(sum(hourly_rates_per_s(national, channel)) == 0 for channel in APP_CHANNELS)


def test_a_service_s_own_hourly_profile_moves_its_arrivals_and_nothing_else():
    night = [0.0] * 24
    night[3] = 1.0
    base = SERVICES_DAY.with_overrides({"scale": 0.0005, "fidelity": "fast"})
    moved = base.with_overrides({"services.bills.hourly_profile": night})
    for channel in ("topup", "bill"):
        rates = hourly_rates_per_s(moved, channel)
        assert [hour for hour, rate in enumerate(rates) if rate] == [3]
        assert sum(rates) == pytest.approx(sum(hourly_rates_per_s(base, channel)), rel=1e-12)
    for channel in ("contactless", "p2p_phone", "qr_merchant", "account_transfer"):
        assert hourly_rates_per_s(moved, channel) == hourly_rates_per_s(base, channel)

    before, after = Simulation(base).run(), Simulation(moved).run()
    bills = after.transfers[after.transfers.service.isin(["bill", "topup"])]
    assert len(bills) > 10 and bills.requested_at.between(3 * 3600, 4 * 3600).all()
    # (the ATM withdrawals ask for what the balance allows, which the moved bills change)
    pos = [r.transactions[r.transactions.channel != "atm"].tapped_at.tolist() for r in (before, after)]
    assert pos[0] == pos[1]
    for service in ("p2p", "account", "qr_payment"):
        requested = [r.transfers[r.transfers.service == service].requested_at.sort_values().tolist() for r in (before, after)]
        assert requested[0] == requested[1] and requested[0], service


def test_an_unknown_qr_code_never_reads_as_a_card_number():
    """A QR code the directory never issued carries 32 random hex digits; one draw in ~57 holds a
    run of 13 digits, and one in ~600 a run the QR writer refuses as a card number (found at
    national scale on the salary-day peak): such draws are drawn again, so every code encodes."""
    from elcart_sim.world.directory import could_be_a_card_number

    scenario = load_scenario("money-services-day", scale=0.001, services__transfers__unknown_recipient_share=1.0)
    demand = Simulation(scenario).transfer_demand
    for _ in range(3_000):
        link = demand.recipient("p2p_qr", 0)  # would raise QrPayloadError on a card-number-like id
        assert "#" in link
    assert could_be_a_card_number("ab" + "4" * 13) and not could_be_a_card_number("ab" + "4" * 12 + "c" + "4")
