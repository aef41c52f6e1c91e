"""Advice for well-known trouble events, written for this tool (not copied from the docs).

A hint is computed per event from its payload, and only for trouble events (Critical, Error,
Warning): a success or progress event never gets one. Each hint names its cause (the event and
what its payload says, e.g. which throttle) so that a summary lists one hint per distinct cause
with a count, and each says what to change where. Every text agrees with the event's own catalog
message (3552 names BufferedReceiveServiceBehavior, so its hint does too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wcfevents.catalog.codes import explain
from wcfevents.model import Event

TROUBLE_LEVELS = frozenset({1, 2, 3})
SERVICE_BEHAVIOR = ("the service behavior (system.serviceModel/behaviors/serviceBehaviors in "
                    "the .config, or ServiceThrottlingBehavior in code)")
SHOW = "`wcfevents show FILE --id {id}` prints the full payload"
# The <serviceThrottling> attribute for each throttle name the runtime reports.
THROTTLE_ATTRIBUTES = {"maxconcurrentcalls": "maxConcurrentCalls",
                       "maxconcurrentsessions": "maxConcurrentSessions",
                       "maxconcurrentinstances": "maxConcurrentInstances"}


@dataclass(frozen=True, slots=True)
class Hint:
    """What to do about one cause; `cause` tells causes of one event apart (e.g. the throttle)."""

    cause: str
    text: str


def _value(data: dict[str, Any], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return str(value)
    return "?"


def _throttle(event: Event, at_limit: bool) -> Hint:
    name = _value(event.data, "ThrottleName")
    limit = _value(event.data, "Limit")
    attribute = THROTTLE_ATTRIBUTES.get(name.lower(), name)
    if at_limit:
        text = (f"The {name} throttle (limit {limit}) was hit: further calls queue until a slot "
                f"frees. Raise {attribute} on <serviceThrottling> in {SERVICE_BEHAVIOR} if the "
                "service has the capacity; otherwise find why calls are slow to finish.")
    else:
        text = (f"The {name} throttle is at 70% of its limit ({limit}): the next burst may "
                f"queue. Watch it, or raise {attribute} on <serviceThrottling> in "
                f"{SERVICE_BEHAVIOR}.")
    return Hint(name, text)


def exception_type(data: dict[str, Any]) -> str | None:
    """The exception's type name: its own field, else the first word of its text."""
    named = data.get("ExceptionTypeName")
    if named:
        return str(named)
    for name in ("data1", "ExceptionToString", "SerializedException"):
        text = data.get(name)
        match = _TYPE_IN_TEXT.search(str(text)) if text else None
        if match:
            return match.group(1)
    return None


_TYPE_IN_TEXT = re.compile(r"([A-Za-z_][\w.`]*(?:Exception|Fault))\b")


def _exception(kind: str) -> Callable[[Event], Hint]:
    def make(event: Event) -> Hint:
        type_name = exception_type(event.data) or ""
        which = f" ({type_name})" if type_name else ""
        return Hint(type_name, (
            f"{kind}{which}: the payload holds the exception text and stack; "
            f"{SHOW.format(id=event.event_id)}. Fix the code the stack points at; throw "
            "FaultException<T> for errors the client should see. Turn on includeExceptionDetail"
            "InFaults on <serviceDebug> only while debugging."))

    return make


def _status(event: Event, field: str, text: str) -> Hint:
    """Advice for an event that carries a status or HRESULT: the code explained in the text."""
    raw = event.data.get(field)
    code = explain(raw)
    said = f" ({code})" if code else (f" (status {raw})" if raw not in (None, "") else "")
    return Hint(str(raw), text.format(code=said))


def _timeout(setting: str, where: str) -> Callable[[Event], Hint]:
    def make(event: Event) -> Hint:
        return Hint(setting, f"{event.symbol}: {setting} ran out. {where}")

    return make


BINDING = "on the binding (system.serviceModel/bindings/<binding …>) of the side that waited"

_FIXED: dict[int, str] = {
    3552: "The MaxPendingMessagesPerChannel throttle was hit: buffered messages wait for the "
          "workflow to take them. Raise maxPendingMessagesPerChannel on <bufferedReceive> "
          "(BufferedReceiveServiceBehavior) in the service behavior, as the event says, or find "
          "why the workflow does not reach the Receive that takes them.",
    57398: "The MaxConcurrentInstances throttle was hit: new calls wait for an instance context. "
           f"Raise maxConcurrentInstances on <serviceThrottling> in {SERVICE_BEHAVIOR}, or free "
           "instances sooner (InstanceContextMode, clients that close their sessions).",
    3561: "The service could not be activated: the exception in the payload names the cause — "
          "usually the Service= type in the .svc file or <serviceActivations> entry does not "
          "exist, an assembly is missing from bin, or web.config does not parse. Fix what it "
          "names, then browse the .svc address to check.",
    1416: "A message was larger than maxReceivedMessageSize (65536 bytes unless set). Raise "
          "maxReceivedMessageSize on the receiving side's binding (<binding "
          "maxReceivedMessageSize=…> under system.serviceModel/bindings; with buffered "
          "transfer set maxBufferSize to the same value): on the service for large requests, on "
          "the client for large replies.",
    1417: "A message to send was larger than the binding allows: raise maxReceivedMessageSize "
          "(and maxBufferSize) on the binding that sends it, and on the receiver, which will "
          "check the same limit.",
    1420: "An XML reader quota was exceeded (the message names it: maxStringContentLength, "
          "maxArrayLength, maxDepth, maxBytesPerRead or maxNameTableCharCount). Raise that "
          "attribute in <readerQuotas> inside the receiving side's binding.",
    3355: "Security negotiation failed. Check that client and service bindings use the same "
          "security mode and clientCredentialType, that the client's endpoint <identity> "
          "(userPrincipalName / servicePrincipalName) names the account the service runs as, "
          "and that the clocks differ by less than 5 minutes.",
    3357: "The service's identity did not match what the client expected: set <identity> on "
          "the client endpoint to the service's UPN, SPN, DNS name or certificate.",
    5404: "A security token was rejected; the payload's errorMessage says why. X.509: check "
          "the chain and revocation (certificateValidationMode / revocationMode in "
          "<serviceCredentials><clientCertificate><authentication>); SAML or issued tokens: "
          "<audienceUris> and the trusted issuers; user names: the custom validator.",
    3348: "The ServiceHost faulted and stopped listening: the exception events just before it "
          "say why (`wcfevents show FILE --level error+`). The host must be opened again "
          "(restart the application pool or the Windows service) after the cause is fixed.",
    4031: "The listener adapter could not hand the session to a worker process. Check that the "
          "application pool is started, that the site has the net.tcp/net.pipe binding and "
          "the application's enabledProtocols list it (IIS Manager → Advanced Settings), and "
          "that the WAS, NetTcpActivator/NetPipeActivator services run.",
    4032: "The listener adapter lost its connection to WAS: check the Windows Process "
          "Activation Service in services.msc and restart the NetTcpActivator/NetPipeActivator "
          "services; the System event log says why WAS stopped.",
    4002: "FailFast: the process was torn down on purpose after an unrecoverable error; the "
          "payload's exception names it.",
    4003: "SMSvcHost could not start its pipe: check that the NetPipeActivator service's "
          "account can create named pipes and that no other process holds the endpoint.",
    4209: "SqlWorkflowInstanceStore could not open its SQL connection in time: check the "
          "connectionString of <sqlWorkflowInstanceStore> (server and database names, "
          "firewall, SQL Server running) and whether the connection pool is exhausted "
          "(Max Pool Size in the connection string).",
    4212: "The instance lock was held by another host past the timeout: the workflow instance "
          "is busy elsewhere or a stale lock owner remains. Check hostLockRenewalPeriod and "
          "instanceLockedExceptionAction on <sqlWorkflowInstanceStore>, and the LockOwnersTable "
          "in the persistence database.",
    3314: "A session channel stayed idle past receiveTimeout and was aborted: clients that "
          "keep proxies open without calls should close them, or raise receiveTimeout (and "
          "inactivityTimeout for reliable sessions) on the service binding.",
}

_REGISTER_FAILED = (
    "The worker process could not register its URI with the listener{code}: another "
    "application may listen on the same address, or the application pool's account is not "
    "in <allowAccounts> of SMSvcHost.exe.config.")

_MADE: dict[int, Callable[[Event], Hint]] = {
    210: lambda e: _throttle(e, at_limit=True),
    224: lambda e: _throttle(e, at_limit=False),
    219: _exception("An operation threw an unhandled exception that WCF turned into a fault"),
    57397: _exception("An unhandled exception reached the WCF runtime; the process may be torn "
                      "down"),
    57408: _exception("An unhandled exception was written to ETW; the process may be torn down"),
    4010: lambda e: Hint(_value(e.data, "Uri"), (
        f"The pending session queue for {_value(e.data, 'Uri')} is full: the worker process "
        "does not take sessions as fast as they arrive. Check the application pool (startup "
        "time, recycling) and raise maxPendingConnections for <net.tcp>/<net.pipe> in "
        "SMSvcHost.exe.config if bursts are expected.")),
    4012: lambda e: _status(e, "Status", _REGISTER_FAILED),
    4014: lambda e: _status(e, "Status", _REGISTER_FAILED),
    4022: lambda e: _status(e, "hresult", (
        "WAS could not unregister the protocol{code}: check the WAS service and the "
        "listener adapter entries in applicationHost.config.")),
    4024: lambda e: _status(e, "hresult", (
        "WAS could not close the listener channel instances{code}: check the application "
        "pool's state and the WAS service.")),
    4025: lambda e: _status(e, "hresult", (
        "WAS could not open a listener channel instance{code}: check that the application "
        "pool is started and its identity has access to the application's folder.")),
    3366: lambda e: _status(e, "Status", (
        "Net.TCP port sharing refused the registration{code}: start the Net.Tcp Port Sharing "
        "service, and add the process account's SID to <allowAccounts> in "
        "SMSvcHost.exe.config.")),
    1400: _timeout("channelInitializationTimeout", "A client connected and did not send its "
                   "preamble in time: raise channelInitializationTimeout on the TCP transport "
                   "(netTcpBinding, or <tcpTransport> in a custom binding), or find the client "
                   "that connects and stalls."),
    1401: _timeout("closeTimeout", f"Raise closeTimeout {BINDING}, or find why the other party "
                   "does not acknowledge the close."),
    1402: _timeout("idleTimeout", "A pooled connection sat idle past the connection pool's "
                   "idleTimeout and was closed: harmless when clients reconnect; otherwise "
                   "raise idleTimeout in <connectionPoolSettings> of <tcpTransport>."),
    1405: _timeout("openTimeout", f"Raise openTimeout {BINDING}, or find why the channel is "
                   "slow to open (DNS, security negotiation, a busy listener)."),
    1406: _timeout("receiveTimeout", f"Raise receiveTimeout {BINDING}, or find why nothing "
                   "arrived in time (an idle session, a slow sender)."),
    1407: _timeout("sendTimeout", f"Raise sendTimeout {BINDING} (it bounds the whole call, "
                   "reply included), or find the slow operation on the other side."),
}


def hint(event: Event) -> Hint | None:
    """Advice for one event, or None: only trouble events of well-known causes get one."""
    if event.level_value not in TROUBLE_LEVELS or event.event_id is None or not event.symbol:
        return None
    fixed = _FIXED.get(event.event_id)
    if fixed is not None:
        return Hint("", fixed)
    made = _MADE.get(event.event_id)
    return made(event) if made is not None else None


HINTED = frozenset(_FIXED) | frozenset(_MADE)
