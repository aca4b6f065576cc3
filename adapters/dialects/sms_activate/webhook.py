"""The SMS-Activate activation webhook body (protocol reference §4.1): what a tenant's
own webhook receives when one of its activations gets a code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from proxy.domain import Activation

from .. import countries
from ..codes import Vocabulary


def webhook_body(activation: Activation, vocab: Vocabulary) -> dict[str, Any]:
    """`text` is the code: the proxy keeps codes, not whole messages."""
    received = activation.code_at if activation.code_at is not None else activation.created_at
    return {
        "activationId": activation.id,
        "service": vocab.code(activation.service),
        "text": activation.code,
        "code": activation.code,
        "country": countries.of(activation).sms_activate,
        "receivedAt": datetime.fromtimestamp(received, UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
