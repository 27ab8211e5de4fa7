"""The HTTP API: blueprints under /v1, the authorizer and the problem middleware."""

from __future__ import annotations

from chalice import Chalice


def register_api(app: Chalice) -> None:
    from chalicelib.api.auth import auth_blueprint
    from chalicelib.api.customers import api as customers
    from chalicelib.api.events import api as events
    from chalicelib.api.exports import api as exports
    from chalicelib.api.imports import api as imports
    from chalicelib.api.mappings import api as mappings
    from chalicelib.api.middleware import log_middleware, problem_middleware
    from chalicelib.api.platform import api as platform
    from chalicelib.api.webhooks import api as webhooks

    app.register_blueprint(auth_blueprint)
    app.register_blueprint(platform.blueprint, url_prefix="/v1")
    app.register_blueprint(customers.blueprint, url_prefix="/v1")
    app.register_blueprint(imports.blueprint, url_prefix="/v1")
    app.register_blueprint(mappings.blueprint, url_prefix="/v1")
    app.register_blueprint(exports.blueprint, url_prefix="/v1")
    app.register_blueprint(events.blueprint, url_prefix="/v1")
    app.register_blueprint(webhooks.blueprint, url_prefix="/v1")
    # The first registered runs outermost: the log context wraps everything else.
    app.register_middleware(log_middleware, "http")
    app.register_middleware(problem_middleware, "http")
