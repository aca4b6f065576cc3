"""The SMS-Activate `handler_api.php` dialect (docs/vendor/sms-activate-protocol.md)."""

from __future__ import annotations

from . import actions as a
from . import history as h
from . import rent
from .frame import Action, Flavour, make_handler
from .tokens import TOKENS

ACTIONS: dict[str, Action] = {
    "getBalance": a.get_balance,
    "getBalanceAndCashBack": a.get_balance,
    "getNumber": a.get_number,
    "getNumberV2": a.get_number_v2,
    "getMultiServiceNumber": a.get_multi_service_number,
    "getStatus": a.get_status,
    "getStatusV2": a.get_status_v2,
    "getFullSms": a.get_full_sms,
    "setStatus": a.set_status,
    "getActiveActivations": a.get_active_activations,
    "getPrices": a.get_prices,
    "getPricesExtended": a.get_prices,
    "getPricesVerification": a.get_prices_verification,
    "getNumbersStatus": a.get_numbers_status,
    "getCountries": a.get_countries,
    "getOperators": a.get_operators,
    "getServicesList": a.get_services_list,
    "getTopCountriesByService": a.get_top_countries,
    "getExtraActivation": a.get_extra_activation,
    "checkExtraActivation": a.check_extra_activation,
    "getAdditionalService": a.get_additional_service,
    "getHistory": h.get_history,
    "getIncomingCallStatus": h.get_incoming_call_status,
    "getListOfActiveActivations": h.get_list_of_active_activations,
    **rent.ACTIONS,
}

SMS_ACTIVATE = Flavour(
    name="sms-activate",
    actions=ACTIONS,
    tokens=TOKENS,
    missing_key="NO_KEY",
    aliases={"getTopCountriesByServiceRank": "getTopCountriesByService", "getNumbers": "getNumber"},
)

__all__ = ["SMS_ACTIVATE", "Flavour", "make_handler"]
