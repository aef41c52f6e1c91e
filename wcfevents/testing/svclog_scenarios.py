"""Deterministic .svclog content: a service's trace log and message log for the same requests.

The trace log follows WCF's activity pattern (a Transfer into an activity, its Start, its work,
a Transfer back to where it came from, its Stop), nests a request's activities three deep, and
holds the cases the reader must map exactly: an exception escaped twice with inner exceptions,
the EventLog record, a record mirrored from ETW, a user's own trace source, control characters.
The message log carries the same ActivityIDs, as WCF propagates them.
"""

from __future__ import annotations

from wcfevents.model import filetime_to_iso, iso_to_filetime
from wcfevents.testing.svclog_writer import SOAP12, ExceptionInfo, MessageLog, Record

BASE = "2026-03-02T09:15:00.0000000Z"
IDENTIFIER = "http://msdn.microsoft.com/en-US/library/System.ServiceModel.{}.aspx"
APP_DOMAIN = "/LM/W3SVC/1/ROOT/Calc-1-131234567890123456"
ACTION = "http://tempuri.org/ICalculator/Divide"


def guid(number: int) -> str:
    return f"{number:08x}-4a1b-4c2d-8e3f-{number * 7919:012x}"


class _Clock:
    def __init__(self) -> None:
        self.ticks = iso_to_filetime(BASE)

    def __call__(self, ms: float = 1.0) -> str:
        self.ticks += int(ms * 10_000)
        return filetime_to_iso(self.ticks) or BASE


def _boundary(clock: _Clock, subtype: str, activity: str, name: str, kind: str) -> Record:
    return Record(clock(), subtype, 131085, activity=activity,
                  identifier=IDENTIFIER.format("Diagnostics.ActivityBoundary"),
                  description="Activity boundary.", app_domain=APP_DOMAIN,
                  extended=[("ActivityName", name), ("ActivityType", kind)])


def _transfer(clock: _Clock, origin: str | None, target: str) -> Record:
    return Record(clock(), "Transfer", 0, activity=origin, related=target)


def divide_by_zero() -> ExceptionInfo:
    """A FaultException over a DivideByZeroException, texts full of `<`, `>` and `&`."""
    socket = ExceptionInfo(
        "System.Net.Sockets.SocketException, System, Version=4.0.0.0",
        "An existing connection was forcibly closed <by the remote host>",
        "   at System.Net.Sockets.Socket.Receive(Byte[] buffer, SocketError& errorCode)",
        "System.Net.Sockets.SocketException (0x80004005): An existing connection was forcibly "
        "closed <by the remote host>\n   at System.Net.Sockets.Socket.Receive(Byte[] buffer, "
        "SocketError& errorCode)",
        native_error="2746")
    inner = ExceptionInfo(
        "System.DivideByZeroException, mscorlib, Version=4.0.0.0",
        "Attempted to divide by zero.",
        "   at Calc.Service.Divide(Int32 a, Int32 b)\n"
        "   at SyncInvokeDivide(Object , Object[] , Object[] )",
        "System.DivideByZeroException: Attempted to divide by zero. ---> "
        "System.Net.Sockets.SocketException: An existing connection was forcibly closed\n"
        "   at Calc.Service.Divide(Int32 a, Int32 b)",
        inner=socket)
    return ExceptionInfo(
        "System.ServiceModel.FaultException`1[[Calc.MathFault, Calc]], System.ServiceModel",
        "Division of 1 by 0 failed: a < b && b > 0 expected",
        "   at Calc.Service.Divide(Int32 a, Int32 b) in C:\\src\\Calc\\Service.cs:line 42\n"
        "   at System.ServiceModel.Dispatcher.SyncMethodInvoker.Invoke(Object instance, "
        "Object[] inputs, Object[]& outputs)",
        "System.ServiceModel.FaultException`1[Calc.MathFault]: Division of 1 by 0 failed: "
        "a < b && b > 0 expected ---> System.DivideByZeroException: Attempted to divide by "
        "zero.\n   --- End of inner exception stack trace ---",
        inner=inner)


def trace_log() -> list[Record]:
    """Host start, a listener, two requests (the second fails), ETW-born and user records."""
    clock = _Clock()
    host, listen = guid(1), guid(2)
    records = [
        _transfer(clock, None, host),
        _boundary(clock, "Start", host, "Construct ServiceHost 'Calc.Service'.", "Construct"),
        Record(clock(), "Information", 524333, activity=host,
               identifier=IDENTIFIER.format("ServiceHostBaseAddresses"),
               description="ServiceHost base addresses.", app_domain=APP_DOMAIN,
               extended=[("BaseAddresses", [("Address", "http://web01/Calc/Service.svc"),
                                            ("Address", "net.tcp://web01/Calc/Service.svc")])]),
        Record(clock(), "Verbose", 524358, activity=host,
               identifier=IDENTIFIER.format("DefaultEndpointsAdded"),
               description="No matching <service> tag was found. Default endpoints added.",
               app_domain=APP_DOMAIN,
               extended=[("ServiceConfigurationName", "Calc.Service"), ("Binding", ""),
                         ("MessageHeaders", [])]),
        _boundary(clock, "Stop", host, "Construct ServiceHost 'Calc.Service'.", "Construct"),
        _transfer(clock, host, listen),
        _boundary(clock, "Start", listen, "Listen at 'http://web01/Calc/Service.svc'.",
                  "ListenAt"),
        _transfer(clock, listen, host),
        _boundary(clock, "Suspend", listen, "Listen at 'http://web01/Calc/Service.svc'.",
                  "ListenAt"),
    ]
    for number, fails in ((10, False), (20, True)):
        records += _request(clock, listen, number, fails)
    records += [
        _boundary(clock, "Resume", listen, "Listen at 'http://web01/Calc/Service.svc'.",
                  "ListenAt"),
        # Written in the new activity, by .NET 4.5+, from an ETW event: the catalog names it.
        Record(clock(), "Information", 131076, activity=listen, channel="Analytic",
               identifier=IDENTIFIER.format("Diagnostics.TraceHandledException"),
               description="Handling an exception. Exception details: "
                           "System.TimeoutException: The open operation did not complete.",
               app_domain=APP_DOMAIN),
        Record(clock(), "Error", 3411, activity=listen, channel="Analytic",
               identifier=IDENTIFIER.format("HttpPipelineTimeoutException"),
               description="An exception occurred in the HTTP pipeline.",
               app_domain=APP_DOMAIN),
        Record(clock(), "Error", 0x20002, identifier=IDENTIFIER.format("Diagnostics.EventLog"),
               description="Wrote to the EventLog.", app_domain=APP_DOMAIN,
               extended=[("CategoryID.Name", "WebHost"), ("CategoryID.Value", "5"),
                         ("InstanceID.Name", "WebHostFailedToProcessRequest"),
                         ("InstanceID.Value", "3221356547"),
                         ("Value0", "System.ServiceModel.HostingManager/2598469"),
                         ("Value1", "System.ServiceModel.ServiceActivationException: The "
                                    "service '/Calc/Service.svc' cannot be activated ---> "
                                    "System.InvalidOperationException: scheme <net.tcp> & "
                                    "[http]\n   at Calc.Host.Open()")]),
        # Control characters, raw and as references: dropped, the record kept.
        Record(clock(), "Warning", 262157, activity=listen,
               identifier=IDENTIFIER.format("Channels.HttpChannelRequestAborted"),
               description="Failed to send request message over HTTP: \x01bad\x1f bytes\x0b",
               app_domain=APP_DOMAIN, extended=[("Via", "http://web01/\x02Calc")]),
        Record(clock(), "Warning", 262157, activity=listen, references=True,
               identifier=IDENTIFIER.format("Channels.HttpChannelRequestAborted"),
               description="Failed to send request message over HTTP: \x01bad\x1f bytes\x0b",
               app_domain=APP_DOMAIN),
        # A user's own trace source: never a catalog name, even for a WCF-looking code.
        Record(clock(), "Information", 131085, source="Calc.Orders", activity=listen,
               text="Order 42 & 43 <priced>"),
        Record(clock(), "Critical", 7, source="Calc.Orders", process_name="Calc.Worker",
               identifier="http://contoso.com/Calc/Orders/PricingFailed",
               description="Pricing failed."),
        _boundary(clock, "Stop", listen, "Listen at 'http://web01/Calc/Service.svc'.",
                  "ListenAt"),
    ]
    return records


def _request(clock: _Clock, listen: str, number: int, fails: bool) -> list[Record]:
    """A request: processing activity, an execute activity inside it, transfers back."""
    process, execute = guid(number), guid(number + 1)
    name = f"Process action '{ACTION}'."
    records = [
        _transfer(clock, listen, process),
        _boundary(clock, "Start", process, name, "ProcessAction"),
        _transfer(clock, process, execute),
        _boundary(clock, "Start", execute, "Execute 'Calc.ICalculator.Divide'.",
                  "ExecuteUserCode"),
    ]
    if fails:
        records.append(Record(clock(5), "Error", 131075, activity=execute,
                              identifier=IDENTIFIER.format("Diagnostics.ThrowingException"),
                              description="Throwing an exception.", app_domain=APP_DOMAIN,
                              exception=divide_by_zero()))
    records += [
        _transfer(clock, execute, process),
        _boundary(clock, "Stop", execute, "Execute 'Calc.ICalculator.Divide'.",
                  "ExecuteUserCode"),
        _transfer(clock, process, listen),
        _boundary(clock, "Stop", process, name, "ProcessAction"),
    ]
    return records


def message_log() -> list[Record]:
    """Each request as received and answered, in the request's own activity."""
    clock = _Clock()
    records = []
    for number in (10, 20):
        process = guid(number)
        clock(2.5)
        message_id = f"urn:uuid:{guid(number + 100)}"
        records.append(Record(
            clock(), "Information", 0, source="System.ServiceModel.MessageLogging",
            activity=process,
            message=MessageLog(
                "TransportReceive", addressing=[("Action", ACTION)],
                http="<HttpRequest><Method>POST</Method><QueryString></QueryString>"
                     "<WebHeaders><Host>web01</Host></WebHeaders></HttpRequest>",
                headers=[("Action", ACTION), ("MessageID", message_id),
                         ("To", "http://web01/Calc/Service.svc")],
                body='<Divide xmlns="http://tempuri.org/"><a>1</a><b>0</b></Divide>',
                soap=SOAP12)))
        records.append(Record(
            clock(3), "Information", 0, source="System.ServiceModel.MessageLogging",
            activity=process,
            message=MessageLog(
                "ServiceLevelSendReply",
                headers=[("Action", ACTION + "Response"), ("RelatesTo", message_id)],
                body='<DivideResponse xmlns="http://tempuri.org/"><DivideResult>&lt;none&gt;'
                     "</DivideResult></DivideResponse>",
                soap=SOAP12)))
    records.append(Record(
        clock(), "Information", 0, source="System.ServiceModel.MessageLogging",
        message=MessageLog(
            "TransportSend", type="System.ServiceModel.Channels.BodyWriterMessage",
            http="<HttpResponse><StatusCode>OK</StatusCode></HttpResponse>",
            raw_body='<HTML xmlns=""><HEAD><TITLE>Service</TITLE></HEAD><BODY>You have '
                     "created a service.</BODY></HTML>")))
    return records
