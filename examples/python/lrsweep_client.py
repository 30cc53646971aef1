#!/usr/bin/python3
"""A Python client of lrsweep's public gRPC API (lrsweep.v1.SweepService).

Generates its stubs at run time from the repository's proto/ folder with grpc_tools.protoc, submits
a sweep (a spirals spec built in code, or one read from a YAML/JSON file), follows it with
WatchSweep and prints the result. `--list-services` asks the coordinator's server reflection which
services it serves, as `grpcurl list` does.

Needs Debian's python3-grpcio and python3-grpc-tools, which install for /usr/bin/python3 (not for a
pyenv or venv python3 that may come first on PATH):

    /usr/bin/python3 examples/python/lrsweep_client.py --coordinator 127.0.0.1:50051

Exit status: 0 the sweep completed; 1 it failed, the coordinator is unreachable or another error;
2 the spec was rejected (INVALID_ARGUMENT) or could not be read; 130 cancelled or interrupted.
"""

import argparse
import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
# Protos this client adds: the server reflection spec (v1 and v1alpha) and google.rpc.Status/BadRequest.
CLIENT_PROTOS = os.path.join(HERE, "protos")
LRSWEEP_PROTOS = ["lrsweep/v1/spec.proto", "lrsweep/v1/sweep.proto"]
CLIENT_PROTO_FILES = [
    "lrsweep_client_protos/reflection_v1.proto",
    "lrsweep_client_protos/reflection_v1alpha.proto",
    "lrsweep_client_protos/rpc_status.proto",
]
STATUS_DETAILS_KEY = "grpc-status-details-bin"
BAD_REQUEST_TYPE_URL = "type.googleapis.com/google.rpc.BadRequest"

EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_CANCELLED = 130


class ClientError(Exception):
    """An error with a message for people and an exit status."""

    def __init__(self, message, exit_code=EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


def log(message):
    print(message, file=sys.stderr, flush=True)


# ── stubs ────────────────────────────────────────────────────────────────────────────────────────

# `optional int32 seed = 2;` (proto3 explicit presence). protoc learned it in 3.12/3.15; Debian
# bookworm's python3-grpc-tools (1.14) bundles protoc 3.5, which rejects it. What protoc makes of it
# is a one-field "synthetic" oneof named `_seed`, so spelling it that way gives the same wire format,
# the same JSON and the same Python API (HasField("seed"), seed=5).
OPTIONAL_FIELD = re.compile(r"^(\s*)optional\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(\[[^\]]*\])?\s*;", re.MULTILINE)


def rewrite_proto3_optional(text):
    return OPTIONAL_FIELD.sub(lambda m: "%soneof _%s { %s %s = %s%s; }" % (m.group(1), m.group(3), m.group(2), m.group(3), m.group(4), " " + m.group(5) if m.group(5) else ""), text)


def run_protoc(include_dirs, out_dir, files):
    import grpc_tools  # noqa: F401  (only to fail early with a clear message)

    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = [sys.executable, "-m", "grpc_tools.protoc"]
    args += ["-I" + d for d in include_dirs] + ["-I" + well_known]
    args += ["--python_out=" + out_dir, "--grpc_python_out=" + out_dir] + files
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def generate_stubs(proto_dir, out_dir, verbose=False):
    """Runs grpc_tools.protoc on proto_dir's lrsweep protos and this client's protos into out_dir,
    puts out_dir first on sys.path and returns the generated modules."""
    for f in LRSWEEP_PROTOS:
        if not os.path.isfile(os.path.join(proto_dir, f)):
            raise ClientError("no %s under %s\n  fix: pass --proto-dir <the repository's proto/ folder>" % (f, proto_dir))
    os.makedirs(out_dir, exist_ok=True)
    files = LRSWEEP_PROTOS + CLIENT_PROTO_FILES
    result = run_protoc([proto_dir, CLIENT_PROTOS], out_dir, files)
    if result.returncode != 0 and "Explicit 'optional' labels are disallowed" in result.stderr:
        # An old protoc: give it the same protos with proto3 `optional` spelt as synthetic oneofs.
        rewritten = os.path.join(out_dir, "_proto3_optional_rewritten")
        for f in LRSWEEP_PROTOS:
            os.makedirs(os.path.dirname(os.path.join(rewritten, f)), exist_ok=True)
            with open(os.path.join(proto_dir, f), encoding="utf-8") as source:
                text = rewrite_proto3_optional(source.read())
            with open(os.path.join(rewritten, f), "w", encoding="utf-8") as target:
                target.write(text)
        if verbose:
            log("grpc_tools' protoc predates proto3 `optional`: generating from a copy that spells them as synthetic oneofs (%s)" % rewritten)
        result = run_protoc([rewritten, CLIENT_PROTOS], out_dir, files)
    if result.returncode != 0:
        raise ClientError("grpc_tools.protoc failed on %s:\n%s" % (proto_dir, result.stderr.strip()))
    if verbose:
        log("stubs generated in %s" % out_dir)
    sys.path.insert(0, out_dir)
    importlib.invalidate_caches()
    names = {
        "spec_pb2": "lrsweep.v1.spec_pb2",
        "sweep_pb2": "lrsweep.v1.sweep_pb2",
        "sweep_pb2_grpc": "lrsweep.v1.sweep_pb2_grpc",
        "reflection_v1_pb2": "lrsweep_client_protos.reflection_v1_pb2",
        "reflection_v1_pb2_grpc": "lrsweep_client_protos.reflection_v1_pb2_grpc",
        "reflection_v1alpha_pb2": "lrsweep_client_protos.reflection_v1alpha_pb2",
        "reflection_v1alpha_pb2_grpc": "lrsweep_client_protos.reflection_v1alpha_pb2_grpc",
        "rpc_status_pb2": "lrsweep_client_protos.rpc_status_pb2",
    }
    return argparse.Namespace(**{key: importlib.import_module(module) for key, module in names.items()})


# ── the spec ─────────────────────────────────────────────────────────────────────────────────────


def spirals_spec(pb):
    """The built-in example: three spirals, an MLP, plain SGD, an ASHA search over 9 rates."""
    spec = pb.spec_pb2.SweepSpec(name="python-spirals", seed=5, batch_size=32)
    spec.model.mlp.hidden.extend([32, 32])
    spec.dataset.spirals.classes = 3
    spec.dataset.spirals.points_per_class = 300
    spec.dataset.sample_fraction = 0.6
    spec.optimizer.sgd.SetInParent()  # the empty SgdOptimizer message selects the oneof branch
    spec.grid.min = 1e-3
    spec.grid.max = 300
    spec.grid.points = 9
    spec.search.strategy = pb.spec_pb2.SEARCH_STRATEGY_ASHA
    spec.search.min_steps = 10
    spec.search.max_steps = 90
    spec.search.reduction_factor = 3
    spec.search.report_every = 5
    spec.final.epochs = 2
    spec.final.schedule = pb.spec_pb2.SCHEDULE_KIND_ONE_CYCLE
    return spec


def read_spec_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        try:
            return json.loads(text)
        except ValueError:
            raise ClientError("%s is YAML and PyYAML is missing\n  fix: apt-get install -y python3-yaml, or give a .json spec" % path, EXIT_INVALID)
    return yaml.safe_load(text)


def is_yaml_shaped(data):
    """True for lrsweep's own spec format (examples/*.yaml: model.builtin, optimizer.name, ...);
    false for the proto3 JSON form of lrsweep.v1.SweepSpec (model.mlp, optimizer.sgd, ...)."""
    model, dataset, optimizer = (data.get(k) if isinstance(data.get(k), dict) else {} for k in ("model", "dataset", "optimizer"))
    return "builtin" in model or "topology" in model or "builtin" in dataset or "name" in optimizer


def yaml_spec_to_proto_json(data, base_dir):
    """lrsweep's YAML spec (camelCase, strings for enums) as proto3 JSON for json_format.ParseDict.
    Unknown keys are passed through, so ParseDict names them; the coordinator validates the rest."""
    out = {k: v for k, v in data.items() if k not in ("model", "dataset", "optimizer", "search", "final")}
    model = dict(data.get("model") or {})
    if "topology" in model:
        topology = model.pop("topology")
        path = topology if os.path.isabs(topology) else os.path.join(base_dir, topology)
        with open(path, encoding="utf-8") as f:
            out["model"] = dict(model, topologyJson=f.read())
    elif model:
        builtin = model.pop("builtin", None)
        if builtin == "mlp":
            model.setdefault("hidden", [128])  # the YAML default; an empty repeated field means no hidden layer
        out["model"] = {builtin: model} if builtin else model
    dataset = dict(data.get("dataset") or {})
    if dataset:
        split = {k: dataset.pop(k) for k in ("validationFraction", "sampleFraction") if k in dataset}
        if "csv" in dataset:
            csv = dict(dataset["csv"])
            if "path" in csv and not os.path.isabs(csv["path"]):
                csv["path"] = os.path.normpath(os.path.join(base_dir, csv["path"]))
            dataset["csv"] = csv
            out["dataset"] = dict(dataset, **split)
        else:
            builtin = dataset.pop("builtin", None)
            out["dataset"] = dict({builtin: dataset} if builtin else dataset, **split)
    optimizer = dict(data.get("optimizer") or {})
    if optimizer:
        name = optimizer.pop("name", None)
        out["optimizer"] = {name: optimizer} if name else optimizer
    if "search" in data:
        search = dict(data["search"] or {})
        if isinstance(search.get("strategy"), str):
            search["strategy"] = "SEARCH_STRATEGY_" + search["strategy"].upper()
        out["search"] = search
    if "final" in data:
        final = dict(data["final"] or {})
        if isinstance(final.get("schedule"), str):
            final["schedule"] = "SCHEDULE_KIND_" + final["schedule"].upper().replace("-", "_")
        plateau = final.get("reduceOnPlateau")
        if isinstance(plateau, dict) and isinstance(plateau.get("monitor"), str):
            final["reduceOnPlateau"] = dict(plateau, monitor="PLATEAU_MONITOR_" + plateau["monitor"].upper())
        out["final"] = final
    return out


def load_spec(pb, path):
    from google.protobuf import json_format

    try:
        data = read_spec_file(path)
        if not isinstance(data, dict):
            raise ClientError("%s: a spec is a mapping (name, model, dataset, ...)" % path, EXIT_INVALID)
        if is_yaml_shaped(data):
            data = yaml_spec_to_proto_json(data, os.path.dirname(os.path.abspath(path)))
        return json_format.ParseDict(data, pb.spec_pb2.SweepSpec())
    except ClientError:
        raise
    except (OSError, ValueError, json_format.ParseError) as e:
        raise ClientError("cannot read the spec %s: %s" % (path, e), EXIT_INVALID)
    except Exception as e:  # yaml.YAMLError and friends
        raise ClientError("cannot read the spec %s: %s" % (path, e), EXIT_INVALID)


def break_spec(spec):
    """--break-spec: grid.min above grid.max, which the coordinator must reject naming spec.grid.min."""
    low, high = spec.grid.min, spec.grid.max
    if low < high:
        spec.grid.min, spec.grid.max = high, low
    else:
        spec.grid.min = (high or 1.0) * 10


# ── errors ───────────────────────────────────────────────────────────────────────────────────────


def field_violations(pb, error):
    """The google.rpc.BadRequest field violations of an RpcError (grpc-status-details-bin)."""
    out = []
    for key, value in error.trailing_metadata() or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = pb.rpc_status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:
            continue
        for detail in status.details:
            if detail.type_url == BAD_REQUEST_TYPE_URL:
                bad_request = pb.rpc_status_pb2.BadRequest()
                detail.Unpack(bad_request)
                out.extend((v.field, v.description) for v in bad_request.field_violations)
    return out


def explain(pb, error, address, doing):
    """An RpcError as a ClientError with what to do about it."""
    import grpc

    code = error.code()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return ClientError(
            "cannot reach the coordinator at %s while %s (%s: %s)\n"
            "  fix: start one with 'lrsweep coordinator', or pass --coordinator host:port / set LRSWEEP_COORDINATOR" % (address, doing, code.name, error.details())
        )
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        lines = ["the coordinator rejected the spec (INVALID_ARGUMENT):", error.details() or ""]
        violations = field_violations(pb, error)
        if violations:
            lines.append("field violations (google.rpc.BadRequest in %s):" % STATUS_DETAILS_KEY)
            lines += ["  %s: %s" % v for v in violations]
        return ClientError("\n".join(lines), EXIT_INVALID)
    return ClientError("%s failed: %s: %s" % (doing, code.name, error.details()))


# ── output ───────────────────────────────────────────────────────────────────────────────────────


def message_to_dict(message):
    """MessageToDict with every field shown, whatever the protobuf version calls that option."""
    from google.protobuf import json_format

    for option in ("including_default_value_fields", "always_print_fields_with_no_presence"):
        try:
            return json_format.MessageToDict(message, **{option: True})
        except TypeError:
            continue
    return json_format.MessageToDict(message)


def enum_name(enum_type, value, prefix):
    name = enum_type.Name(value)
    return name[len(prefix):] if name.startswith(prefix) else name


def fmt_rate(x):
    return "%.3g" % x


def fmt_loss(x):
    return "NaN" if isinstance(x, float) and math.isnan(x) else "%.4g" % x


def fmt_pct(x):
    return "%.1f%%" % (100 * x)


def print_result(pb, sweep):
    s = pb.sweep_pb2
    state = enum_name(s.SweepState, sweep.state, "SWEEP_STATE_")
    out = ["sweep %s (%s): %s on %s in %.1f s" % (sweep.sweep_id, sweep.name, state, sweep.backend or "?", sweep.wall_seconds)]
    if sweep.error:
        out.append("  error:       %s" % sweep.error)
    if sweep.HasField("best") and sweep.best.learning_rate > 0:
        b = sweep.best
        out.append("  best rate:   %s (val loss %s, accuracy %s)" % (fmt_rate(b.learning_rate), fmt_loss(b.val_loss), fmt_pct(b.val_accuracy)))
    if sweep.HasField("range") and sweep.range.max > 0:
        out.append("  range:       %s .. %s" % (fmt_rate(sweep.range.min), fmt_rate(sweep.range.max)))
    if sweep.HasField("budget") and sweep.budget.full_grid_steps > 0:
        spent, full = sweep.budget.steps_spent, sweep.budget.full_grid_steps
        out.append("  budget:      %d of the full grid's %d steps (%.0f%%)" % (spent, full, 100.0 * spent / full))
    if sweep.HasField("final") and sweep.final.epochs > 0:
        f = sweep.final
        schedule = enum_name(pb.spec_pb2.ScheduleKind, f.schedule, "SCHEDULE_KIND_").lower().replace("_", "-")
        line = "  final:       %s %s .. %s, %d epochs, %d/%d steps" % (schedule, fmt_rate(f.lr_min), fmt_rate(f.lr_max), f.epochs, f.steps, f.total_steps)
        if f.HasField("val_accuracy"):
            line += ": val loss %s, accuracy %s" % (fmt_loss(f.val_loss), fmt_pct(f.val_accuracy))
        out.append(line)
        if f.model_path:
            out.append("  model:       %s (on worker %s)" % (f.model_path, f.worker_id))
        for c in f.adjustments:
            out.append("  rate change: step %d, x%s -> x%s: %s" % (c.step, fmt_rate(c.from_multiplier), fmt_rate(c.to_multiplier), c.reason))
    if sweep.trials:
        out.append("  trials:      %-9s %-10s %-9s %6s %9s %8s  %s" % ("lr", "state", "reason", "steps", "loss", "val acc", "worker"))
        for t in sorted(sweep.trials, key=lambda t: t.learning_rate):
            reason = enum_name(s.PruneReason, t.reason, "PRUNE_REASON_").lower() if t.reason else ""
            acc = fmt_pct(t.val_accuracy) if t.HasField("val_accuracy") else "-"
            out.append("               %-9s %-10s %-9s %6d %9s %8s  %s" % (fmt_rate(t.learning_rate), enum_name(s.TrialState, t.state, "TRIAL_STATE_"), reason, t.steps, fmt_loss(t.loss), acc, t.worker_id))
    print("\n".join(out))


# ── commands ─────────────────────────────────────────────────────────────────────────────────────


def submit_and_watch(pb, channel, args):
    import grpc

    spec = load_spec(pb, args.spec) if args.spec else spirals_spec(pb)
    if args.break_spec:
        break_spec(spec)
    stub = pb.sweep_pb2_grpc.SweepServiceStub(channel)
    try:
        submitted = stub.SubmitSweep(pb.sweep_pb2.SubmitSweepRequest(spec=spec), timeout=args.deadline)
    except grpc.RpcError as e:
        raise explain(pb, e, args.coordinator, "submitting the sweep")
    sweep_id = submitted.sweep_id
    if not args.quiet:
        log("submitted %s (%s) to %s" % (sweep_id, spec.name, args.coordinator))

    done = None
    stream = stub.WatchSweep(pb.sweep_pb2.WatchSweepRequest(sweep_id=sweep_id), timeout=args.watch_timeout)
    try:
        for event in stream:
            kind = event.WhichOneof("event")
            if kind == "snapshot" and not args.quiet:
                log("watching %s: %s, %d trials" % (sweep_id, enum_name(pb.sweep_pb2.SweepState, event.snapshot.state, "SWEEP_STATE_"), len(event.snapshot.trials)))
            elif kind == "decision" and not args.quiet:
                log("  %s" % event.decision.summary)
            elif kind == "final_progress" and not args.quiet:
                p = event.final_progress
                if p.HasField("val_accuracy"):  # set at the end of each epoch
                    log("  final training epoch %d (step %d/%d, lr %s): val loss %s, accuracy %s" % (p.epoch, p.step, p.total_steps, fmt_rate(p.learning_rate), fmt_loss(p.val_loss), fmt_pct(p.val_accuracy)))
            elif kind == "rate_change" and not args.quiet:
                c = event.rate_change
                log("  final training step %d: rate x%s -> x%s: %s" % (c.step, fmt_rate(c.from_multiplier), fmt_rate(c.to_multiplier), c.reason))
            elif kind == "done":
                done = event.done
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and args.watch_timeout is not None:
            raise ClientError("%s did not end within --watch-timeout %gs; it goes on on the coordinator (follow it with 'lrsweep watch %s', stop it with 'lrsweep cancel %s')" % (sweep_id, args.watch_timeout, sweep_id, sweep_id))
        raise explain(pb, e, args.coordinator, "watching %s" % sweep_id)
    except KeyboardInterrupt:
        stream.cancel()
        raise ClientError("interrupted; %s goes on on the coordinator (stop it with 'lrsweep cancel %s')" % (sweep_id, sweep_id), EXIT_CANCELLED)
    if done is None:
        raise ClientError("the watch of %s ended before the sweep did" % sweep_id)

    if args.json:
        print(json.dumps(message_to_dict(done), indent=2))
    else:
        print_result(pb, done)
    if done.state == pb.sweep_pb2.SWEEP_STATE_COMPLETED:
        return 0
    if done.state == pb.sweep_pb2.SWEEP_STATE_CANCELLED:
        return EXIT_CANCELLED
    log("error: sweep %s ended %s: %s" % (sweep_id, enum_name(pb.sweep_pb2.SweepState, done.state, "SWEEP_STATE_"), done.error))
    return EXIT_FAILED


def reflection_call(stub, requests, timeout):
    return list(stub.ServerReflectionInfo(iter(requests), timeout=timeout))


def list_services(pb, channel, args):
    """Lists the services (and their methods) through server reflection, as `grpcurl list` does:
    reflection v1, else v1alpha for servers that only have that."""
    import grpc
    from google.protobuf import descriptor_pb2

    last = None
    for version in ("v1", "v1alpha") if args.reflection == "auto" else (args.reflection,):
        messages = getattr(pb, "reflection_%s_pb2" % version)
        stub = getattr(pb, "reflection_%s_pb2_grpc" % version).ServerReflectionStub(channel)
        try:
            [listed] = reflection_call(stub, [messages.ServerReflectionRequest(list_services="*")], args.deadline)
            names = [s.name for s in listed.list_services_response.service]
            # One stream for every service's file: the server may leave out files it already sent
            # on the same stream, so the methods are looked up across all of them.
            answers = reflection_call(stub, [messages.ServerReflectionRequest(file_containing_symbol=n) for n in names], args.deadline)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                last = e
                continue
            raise explain(pb, e, args.coordinator, "asking for reflection %s" % version)
        services = {}
        for answer in answers:
            for raw in answer.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto()
                fd.ParseFromString(raw)
                for service in fd.service:
                    full = "%s.%s" % (fd.package, service.name) if fd.package else service.name
                    services[full] = [
                        {
                            "name": m.name,
                            "input": m.input_type.lstrip("."),
                            "output": m.output_type.lstrip("."),
                            "clientStreaming": m.client_streaming,
                            "serverStreaming": m.server_streaming,
                        }
                        for m in service.method
                    ]
        listing = [{"name": n, "methods": services.get(n)} for n in names]
        if args.json:
            print(json.dumps({"coordinator": args.coordinator, "reflection": "grpc.reflection." + version, "services": listing}, indent=2))
        else:
            log("%s serves (through grpc.reflection.%s):" % (args.coordinator, version))
            for service in listing:
                print(service["name"])
                for m in service["methods"] or []:
                    print(
                        "  rpc %s(%s%s) returns (%s%s)"
                        % (m["name"], "stream " if m["clientStreaming"] else "", m["input"], "stream " if m["serverStreaming"] else "", m["output"])
                    )
        return 0
    raise ClientError("%s serves no server reflection (%s): %s" % (args.coordinator, "v1 or v1alpha" if args.reflection == "auto" else args.reflection, last.details() if last else "?"))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Submit an LR sweep to an lrsweep coordinator over gRPC, follow it and print the result.",
        epilog="Run it with /usr/bin/python3 (Debian's python3-grpcio and python3-grpc-tools install there).",
    )
    parser.add_argument("--coordinator", default=os.environ.get("LRSWEEP_COORDINATOR", "127.0.0.1:50051"), help="host:port (default: $LRSWEEP_COORDINATOR, else 127.0.0.1:50051)")
    parser.add_argument("--spec", metavar="FILE", help="a spec file, YAML (lrsweep's format, as examples/*.yaml) or JSON (that format or proto3 JSON of lrsweep.v1.SweepSpec); default: a spirals spec built in code")
    parser.add_argument("--json", action="store_true", help="print the finished sweep (or the service list) as JSON on stdout")
    parser.add_argument("--list-services", action="store_true", help="list the services the coordinator serves, through server reflection, and exit")
    parser.add_argument("--reflection", choices=["auto", "v1", "v1alpha"], default="auto", help="server reflection version for --list-services (default auto: v1, else v1alpha)")
    parser.add_argument("--break-spec", action="store_true", help="submit the spec with grid.min above grid.max (to see an INVALID_ARGUMENT)")
    parser.add_argument("--deadline", type=float, default=10.0, metavar="SECONDS", help="deadline of SubmitSweep and the reflection calls (default 10)")
    parser.add_argument("--watch-timeout", type=float, default=None, metavar="SECONDS", help="deadline of WatchSweep (default: none)")
    parser.add_argument("--proto-dir", default=os.path.join(REPO, "proto"), help="where lrsweep/v1/*.proto are (default: the repository's proto/)")
    parser.add_argument("--out", metavar="DIR", help="generate the stubs here and keep them (default: a temporary folder, removed at exit)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--verbose", action="store_true", help="say how the stubs were generated")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import grpc
        import grpc_tools  # noqa: F401
    except ImportError as e:
        log(
            "error: %s for %s\n  fix: apt-get install -y python3-grpcio python3-grpc-tools, and run this with /usr/bin/python3 (Debian's packages install for it, not for a pyenv or venv python3)"
            % (e, sys.executable)
        )
        return EXIT_FAILED
    out_dir = os.path.abspath(args.out) if args.out else tempfile.mkdtemp(prefix="lrsweep-stubs-")
    channel = None
    try:
        pb = generate_stubs(os.path.abspath(args.proto_dir), out_dir, args.verbose)
        channel = grpc.insecure_channel(args.coordinator)
        if args.list_services:
            return list_services(pb, channel, args)
        return submit_and_watch(pb, channel, args)
    except ClientError as e:
        log("error: %s" % e)
        return e.exit_code
    except KeyboardInterrupt:
        log("interrupted")
        return EXIT_CANCELLED
    finally:
        if channel is not None:
            channel.close()
        if not args.out:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
