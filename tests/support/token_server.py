"""A small AxwayID stand-in for the tests: the OAuth 2.0 client-credentials grant with a private-key
JWT client assertion (RFC 7523), verified with authlib against the registered public key.

Usage: token_server.py --public-key FILE --client-id ID [--realm R] [--expires-in S] [--leeway S]
Prints "listening on PORT" once ready. GET /stats answers {"requests": n, "issued": m}.
"""
import argparse
import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # authlib.jose points to joserfc; still supported in 1.x
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402
from authlib.jose.errors import JoseError
from cryptography.hazmat.primitives import serialization

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--public-key", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--realm", default="Broker")
    p.add_argument("--expires-in", type=int, default=1800)
    p.add_argument("--leeway", type=int, default=0)
    args = p.parse_args()

    pem = open(args.public_key, "rb").read()
    der = serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    key = JsonWebKey.import_key(pem, {"kty": "RSA"})
    jwt = JsonWebToken(["RS256"])
    lock = threading.Lock()
    stats = {"requests": 0, "issued": 0}
    seen_jti = set()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)  # adds the Date header
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/stats":
                with lock:
                    return self.reply(200, dict(stats))
            self.reply(404, {"error": "not_found"})

        def do_POST(self):
            host = self.headers.get("Host")
            base = f"http://{host}/auth/realms/{args.realm}"
            if self.path != f"/auth/realms/{args.realm}/protocol/openid-connect/token":
                return self.reply(404, {"error": "not_found"})
            with lock:
                stats["requests"] += 1
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            field = lambda k: (form.get(k) or [""])[0]
            if field("grant_type") != "client_credentials" or field("client_assertion_type") != ASSERTION_TYPE:
                return self.reply(400, {"error": "invalid_request", "error_description": "not a jwt-bearer client-credentials request"})
            assertion = field("client_assertion")
            try:
                header = json.loads(base64.urlsafe_b64decode(assertion.split(".")[0] + "=="))
                if header.get("kid") != kid:
                    raise JoseError(f"unknown kid {header.get('kid')}")
                claims = jwt.decode(
                    assertion,
                    key,
                    claims_options={
                        "iss": {"essential": True, "value": f"{ASSERTION_TYPE}:{args.client_id}"},
                        "sub": {"essential": True, "value": args.client_id},
                        "aud": {"essential": True, "value": base},
                        "exp": {"essential": True},
                        "iat": {"essential": True},
                        "jti": {"essential": True},
                    },
                )
                claims.validate(now=int(time.time()), leeway=args.leeway)
                if claims["exp"] - claims["iat"] > 300:
                    raise JoseError("assertion lives too long")
                with lock:
                    if claims["jti"] in seen_jti:
                        raise JoseError("jti replayed")
                    seen_jti.add(claims["jti"])
            except (JoseError, ValueError) as e:
                return self.reply(401, {"error": "invalid_client", "error_description": str(e)})
            with lock:
                stats["issued"] += 1
                n = stats["issued"]
            self.reply(200, {"access_token": f"token-{n}", "token_type": "Bearer", "expires_in": args.expires_in})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
