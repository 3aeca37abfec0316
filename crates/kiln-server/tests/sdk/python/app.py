"""Profiles burn_cpu_in_python with the Python Pyroscope SDK (Push API).

Usage: app.py <server-url> <seconds> [<basic-auth-user> <password> <tenant>]
"""
import sys
import time

import pyroscope


def burn_cpu_in_python(until):
    x = 0
    while time.monotonic() < until:
        for i in range(10_000):
            x = (x * 31 + i) % 1_000_003
    return x


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    user, password, tenant = (sys.argv[3:6] + ["", "", ""])[:3]
    pyroscope.configure(
        application_name="kiln-sdk-python",
        server_address=url,
        basic_auth_username=user,
        basic_auth_password=password,
        tenant_id=tenant,
        tags={"env": "sdk-test", "sdk": "python"},
        upload_interval=1,
        enable_logging=True,
    )
    x = burn_cpu_in_python(time.monotonic() + seconds)
    if not pyroscope.shutdown():
        sys.exit("pyroscope.shutdown() failed")
    print("done", x)


if __name__ == "__main__":
    main()
