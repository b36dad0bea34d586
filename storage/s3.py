"""S3 backend (boto3, imported lazily): conditional writes with IfNoneMatch/IfMatch, presigned GETs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from storage.base import StoredObject
from storage.errors import ConflictError, KeyNotFound, StorageError
from storage.keys import check_key, check_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


class S3BlobStore:
    """Objects live under `s3://bucket/prefix/`; credentials come from the standard AWS chain."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.endpoint_url = endpoint_url
        self.location = f"s3://{bucket}/{self.prefix}"
        self._client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                signature_version="s3v4",
            )
            self._client = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
        return self._client

    def _full(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        extra: dict[str, Any] = {}
        if if_none_match:
            extra["IfNoneMatch"] = "*"
        if if_match is not None:
            extra["IfMatch"] = f'"{if_match}"'
        with _translated(key):
            response = self.client.put_object(
                Bucket=self.bucket, Key=self._full(key), Body=data, ContentType=content_type, **extra
            )
        return response["ETag"].strip('"')

    def get(self, key: str) -> StoredObject:
        with _translated(key):
            response = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
            data = response["Body"].read()
        return StoredObject(data=data, etag=response["ETag"].strip('"'))

    def exists(self, key: str) -> bool:
        try:
            with _translated(key):
                self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except KeyNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        with _translated(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys: list[str] = []
        with _translated(prefix):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
                keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(keys)

    def url(self, key: str, expires_in: int) -> str:
        with _translated(key):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self._full(key)}, ExpiresIn=expires_in
            )


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """Turn botocore failures into storage errors with a message that says what to do."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in _CONFLICT_CODES or status == "412":
            raise ConflictError(f"{key} was changed by another writer") from exc
        if code in _MISSING_CODES or status == "404":
            raise KeyNotFound(key) from exc
        raise StorageError(f"S3 refused the request for {key}: {code or status}") from exc
    except BotoCoreError as exc:
        raise StorageError(
            f"S3 is unreachable ({type(exc).__name__}); check COACH_IMAGE_S3_ENDPOINT_URL and retry"
        ) from exc
