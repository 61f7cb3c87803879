"""The HTTP server under the app: what a request gets when it is not even HTTP.

aiohttp's parser refuses some requests before any middleware runs -- raw non-ASCII or
NUL bytes in the target, request or header lines over their limits, a bad method --
and answers them itself with a plain-text 400 that echoes part of the request line, and
logs the request with it. RDAP promises an RFC 9083 error body on every error (RFC 7480
§5.3), and a request line may carry a person's name in a search; so this runner answers
those with an RDAP error body, closes the connection, and logs only the status and the
kind of failure. It relies on aiohttp's handler class, the one place it can be changed.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web, web_protocol, web_server
from aiohttp.web_request import BaseRequest

from rdap_coop.middleware import error_response

log = logging.getLogger(__name__)
UNREADABLE_TEXT = "The request could not be read as HTTP."


class _RdapRequestHandler(web_protocol.RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        log.info("refused an unreadable request: %s %s", status,
                 type(exc).__name__ if exc is not None else "-")
        if request.writer.output_size > 0:  # an answer had begun: the connection is lost
            raise ConnectionError("response already started")
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        response = error_response(status, phrase or "Bad Request", UNREADABLE_TEXT)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.force_close()
        return response


class _RdapServer(web_server.Server):
    def __call__(self) -> web_protocol.RequestHandler:
        return _RdapRequestHandler(self, loop=self._loop, **self._kwargs)


class RdapAppRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer unreadable requests the RDAP way."""

    async def _make_server(self) -> web_server.Server:
        server = await super()._make_server()
        server.__class__ = _RdapServer
        return server
