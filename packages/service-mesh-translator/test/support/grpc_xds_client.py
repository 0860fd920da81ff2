"""A proxyless gRPC client on gRPC C-core (Debian's python3-grpcio), driven by a test.

It dials ``xds:///TARGET`` (argv[1]); the xDS bootstrap named by GRPC_XDS_BOOTSTRAP
says which ADS server resolves it. The one channel lives as long as the process, so
the test can change the server's config and see this same client follow it.

Commands come on stdin, one JSON object per line:
    {"path": "/svc/Method", "headers": {"x-route": "a"}, "calls": 10}
and each gets one JSON line on stdout:
    {"answers": ["A", "B", ...]}
where an answer is the body the backend replied with (its name), or
"error:CODE" when the call failed. The first call of the process waits for the
channel to be ready, since resolving through xDS takes a few round trips.
"""

import json
import sys

import grpc


def identity(data):
    return data


def answer(method, headers, wait_for_ready):
    metadata = [(name.lower(), value) for name, value in headers.items()]
    try:
        reply = method(b"", metadata=metadata, timeout=10, wait_for_ready=wait_for_ready)
        return reply.decode("utf-8")
    except grpc.RpcError as err:
        return "error:" + err.code().name


def main():
    target = sys.argv[1]
    channel = grpc.insecure_channel(target)
    methods = {}
    first = True
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        path = command["path"]
        if path not in methods:
            methods[path] = channel.unary_unary(
                path, request_serializer=identity, response_deserializer=identity
            )
        answers = []
        for _ in range(command.get("calls", 1)):
            answers.append(answer(methods[path], command.get("headers", {}), first))
            first = False
        sys.stdout.write(json.dumps({"answers": answers}) + "\n")
        sys.stdout.flush()
    channel.close()


if __name__ == "__main__":
    main()
