"""The API's sign-in: a token for an e-mail and password (and the second-factor code where
the account has one), and revoking the token a request was made with.

Failed sign-ins count towards the account-and-address lockout (django-axes), and the endpoint
is rate limited per address (DRF's ScopedRateThrottle, scope `api-token`): both answer 429
with when to try again.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import credentials, second_factor
from .openapi import ErrorSerializer, FieldErrorsSerializer

DEFAULT_TOKEN_NAME = "API sign-in"  # noqa: S105 - a label, not a secret


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="The account's e-mail address.", max_length=254)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )
    otp = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The second-factor code (authenticator or recovery code), for an account "
        "that has one.",
    )
    name = serializers.CharField(
        required=False,
        max_length=credentials.TOKEN_NAME_MAX,
        help_text=f"Where the token is used (default “{DEFAULT_TOKEN_NAME}”).",
    )
    days = serializers.IntegerField(
        required=False, min_value=1, help_text="Days the token is valid (API_TOKEN_DAYS)."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once: only a digest of it is kept.")
    name = serializers.CharField()
    expiry = serializers.DateTimeField()


TOO_MANY = OpenApiResponse(
    inline_serializer(
        "TooManyAttempts",
        {"detail": serializers.CharField(), "retry_after": serializers.CharField(required=False)},
    ),
    description="Too many failed sign-ins for this account from this address, or too many "
    "requests from this address: `detail` says when to try again (also Retry-After).",
)


class ObtainTokenView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "api-token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: FieldErrorsSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description="The account must enrol a second factor on the pages first.",
            ),
            429: TOO_MANY,
        },
        auth=[],
        summary="Get an API token",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        # Django's own request: django-axes records the failure on it, and its middleware
        # turns a locked-out attempt into the 429 that says when to try again.
        user = authenticate(
            request=request._request, username=values["username"], password=values["password"]
        )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("That e-mail address and password do not match.")]}
            )
        if second_factor.needed(user):
            if not second_factor.enrolled(user):
                return Response(
                    {
                        "detail": _(
                            "Your school requires a second factor: enrol it on the pages "
                            "(your account, Second factor) before asking for a token."
                        )
                    },
                    status=status.HTTP_403_FORBIDDEN,
                )
            try:
                second_factor.code_check(user=user, code=values.get("otp", ""))
            except second_factor.CodeRefused as exc:
                raise serializers.ValidationError({"otp": [str(exc)]}) from None
        try:
            token, secret = credentials.token_create(
                user=user, name=values.get("name") or DEFAULT_TOKEN_NAME, days=values.get("days")
            )
        except ValidationError as exc:  # days beyond API_TOKEN_MAX_DAYS
            raise serializers.ValidationError(exc.message_dict) from None
        return Response({"token": secret, "name": token.name, "expiry": token.expiry})


class RevokeTokenView(APIView):
    """Revoke the token this request is made with (other tokens of the account stay)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(
                ErrorSerializer, description="The request was not made with a token."
            ),
        },
        summary="Revoke this token",
    )
    def post(self, request):
        if not isinstance(request.auth, credentials.ApiToken):
            return Response(
                {"detail": _("Send the token to revoke as Authorization: Token …")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        credentials.token_revoke(token=request.auth, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
