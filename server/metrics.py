"""In-process counters, exposed with the database gauges as Prometheus text at /metrics."""

from __future__ import annotations

from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self.inbox = Counter[tuple[str, str]]()  # (outcome, reason)
        self.handled = Counter[tuple[str, str]]()  # (activity type, outcome)
        self.deliveries = Counter[str]()  # outcome

    def count_inbox(self, outcome: str, reason: str) -> None:
        self.inbox[(outcome, reason[:60])] += 1

    def count_handled(self, activity_type: str, outcome: str) -> None:
        self.handled[(activity_type[:40], outcome)] += 1

    def count_delivery(self, outcome: str) -> None:
        self.deliveries[outcome] += 1


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render(
    metrics: Metrics,
    inbox_states: dict[str, int],
    delivery_states: dict[str, int],
    host_failures: dict[str, int],
) -> str:
    lines = [
        "# HELP buurtplein_inbox_requests_total Inbox POSTs by outcome and reason.",
        "# TYPE buurtplein_inbox_requests_total counter",
    ]
    for (outcome, reason), n in sorted(metrics.inbox.items()):
        lines.append(f'buurtplein_inbox_requests_total{{outcome="{outcome}",reason="{_label(reason)}"}} {n}')
    lines += [
        "# HELP buurtplein_activities_handled_total Received activities processed by workers.",
        "# TYPE buurtplein_activities_handled_total counter",
    ]
    for (kind, outcome), n in sorted(metrics.handled.items()):
        lines.append(f'buurtplein_activities_handled_total{{type="{_label(kind)}",outcome="{outcome}"}} {n}')
    lines += [
        "# HELP buurtplein_delivery_attempts_total Delivery attempts by outcome.",
        "# TYPE buurtplein_delivery_attempts_total counter",
    ]
    for outcome, n in sorted(metrics.deliveries.items()):
        lines.append(f'buurtplein_delivery_attempts_total{{outcome="{outcome}"}} {n}')
    lines += [
        "# HELP buurtplein_inbox_queue Received activities by state.",
        "# TYPE buurtplein_inbox_queue gauge",
    ]
    lines += [f'buurtplein_inbox_queue{{state="{s}"}} {n}' for s, n in sorted(inbox_states.items())]
    lines += [
        "# HELP buurtplein_deliveries Deliveries by state.",
        "# TYPE buurtplein_deliveries gauge",
    ]
    lines += [f'buurtplein_deliveries{{state="{s}"}} {n}' for s, n in sorted(delivery_states.items())]
    lines += [
        "# HELP buurtplein_host_consecutive_failures Consecutive delivery failures per host.",
        "# TYPE buurtplein_host_consecutive_failures gauge",
    ]
    lines += [
        f'buurtplein_host_consecutive_failures{{host="{_label(h)}"}} {n}' for h, n in sorted(host_failures.items())
    ]
    return "\n".join(lines) + "\n"
