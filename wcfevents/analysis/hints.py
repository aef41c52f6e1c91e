"""Short advice for well-known trouble events, written for this tool (not from the docs)."""

from __future__ import annotations

THROTTLES = {210, 224, 3552, 57398}
ACTIVATION = range(4001, 4036)
UNHANDLED = {219, 57397, 57408}
TIMEOUTS = {1400, 1401, 1402, 1405, 1406, 1407, 3314, 3411, 4209, 4212}

_HINTS: dict[int, str] = {
    210: "A service throttle was hit: calls queue until a slot frees up. The payload names the "
         "throttle; raise maxConcurrentCalls, maxConcurrentSessions or maxConcurrentInstances in "
         "the serviceThrottling behavior if the service has the capacity.",
    224: "A service throttle reached 70% of its limit: the next burst may queue. Watch it, or "
         "raise the named limit in the serviceThrottling behavior.",
    3552: "MaxPendingMessagesPerChannel was hit: messages wait in the channel. Raise it on the "
          "receive context / channel settings, or find why the service is slow to take them.",
    57398: "maxConcurrentInstances was hit: new calls wait for an instance. Raise it in the "
           "serviceThrottling behavior, or release instances sooner (InstanceContextMode, "
           "sessions).",
    219: "An operation threw and WCF turned it into a fault: the payload carries the exception "
         "type and text. Look at the operation named in the same activity.",
    57397: "An unhandled exception reached the WCF runtime: the process may be torn down. The "
           "payload holds the exception details.",
    57408: "An unhandled exception was written to ETW: the payload holds the details.",
}


def hint(event_id: int, symbol: str | None = None) -> str | None:
    """Advice for one event ID, or None when the event is not a well-known trouble sign."""
    if event_id in _HINTS:
        return _HINTS[event_id]
    if event_id in ACTIVATION:
        return ("WAS/activation: the listener adapter could not hand a request to the worker "
                "process. Check that the site binding and protocol (net.tcp, net.pipe) are "
                "enabled, that the NetTcpActivator/NetPipeActivator services run, and the "
                "application pool's state.")
    if event_id in TIMEOUTS:
        name = symbol or "timeout"
        return (f"{name}: an operation ran past its configured limit. Compare the duration with "
                "the binding's open/send/receive/close timeouts and find the slow party.")
    return None
