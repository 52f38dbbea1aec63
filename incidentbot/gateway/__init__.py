"""The read-only door to the log store. Nothing else imports a search client."""
from incidentbot.gateway.readonly import ReadOnlyGateway, RequestLog, RequestRecord

__all__ = ["ReadOnlyGateway", "RequestLog", "RequestRecord"]
