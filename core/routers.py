"""The API router. Each app registers its viewsets in its own `api_routes` function."""

from django.utils.module_loading import import_string
from rest_framework.routers import DefaultRouter

API_ROUTE_MODULES = ["schools.api_routes.register", "alerts.api_routes.register"]

api_router = DefaultRouter()
for dotted in API_ROUTE_MODULES:
    import_string(dotted)(api_router)
