"""AWS error codes that mean "slow down" or "try again": shared by the emitter and the console."""

THROTTLE_CODES = frozenset(
    {
        "RequestThrottled",
        "ThrottlingException",
        "Throttling",
        "OverLimit",
        "KmsThrottled",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# The signature was made with a clock too far from the server's (SigV4 allows 5 minutes).
SKEW_CODES = frozenset(
    {"RequestTimeTooSkewed", "InvalidSignatureException", "SignatureDoesNotMatch"}
)
