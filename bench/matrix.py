#!/usr/bin/env python3
"""Benchmark matrix for the gateway, run by hand (never in CI; loopback only).

Per scenario it loads the same request three ways, each with wrk (1 thread, N connections):
  direct   straight to the mock upstream (what the upstream alone can serve),
  ours     through the gateway (started with bin/gateway, i.e. the launcher's JVM settings),
  peer     through a peer gateway when one is given (bench/peers.sh starts Portkey's and passes --peer),
and prints requests/s, p50, p99, ours/direct, CPU ms per request of the gateway (and of the peer), read from
/proc/<pid>/stat, and the peak RSS of each gateway process (VmRSS sampled every 100 ms; VmHWM at the end).
Writes bench/results/latest.md.

Scenario axes: upstream (openai = OpenAI/Azure format, tei = TEI native /embed, titan = Bedrock Titan, one call
per input, local = the in-process model), inputs per request (1, 8, 64), dimensions (384, 1536, 3072), client
encoding_format (float, base64), upstream latency (0, 20 ms), connections (1, 32, 128).
The default is a quick subset (the issue's targets plus one scenario per upstream kind); --full runs the whole
matrix (about 300 scenarios: hours on 2 cores); --only REGEX picks scenarios by name.

usage: bench/matrix.py [--full] [--only REGEX] [--seconds 10] [--warmup 3] [--peer NAME=URL,PID]
                       [--out bench/results/latest.md] [--gateway-opts "..."] [--list]
"""
import argparse
import base64
import itertools
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT = "The quick brown fox jumps over the lazy dog, and then it runs back to the forest number {}."


# ---------------------------------------------------------------- scenarios

class Scenario:
    def __init__(self, upstream, n, d, enc, latency, conns):
        self.upstream, self.n, self.d, self.enc, self.latency, self.conns = upstream, n, d, enc, latency, conns

    @property
    def name(self):
        if self.upstream == "local":
            return f"local n{self.n} {self.enc} c{self.conns}"
        return f"{self.upstream} n{self.n} d{self.d} {self.enc} {self.latency}ms c{self.conns}"

    def deployment(self):
        """Mock path key and gateway model name of this scenario's upstream."""
        slow = "-slow" if self.latency else ""
        if self.upstream == "titan":
            return f"titan-d{self.d}{slow}"
        if self.upstream == "local":
            return "all-minilm-l6-v2"
        return f"{self.upstream}-n{self.n}-d{self.d}{slow}"


def quick():
    S = Scenario
    return [
        S("openai", 8, 1536, "base64", 0, 32),   # target: CPU <= 0.6 ms, < 1/4 of the peer's
        S("openai", 8, 1536, "float", 0, 32),    # target: CPU <= 1.5 ms
        S("openai", 8, 1536, "base64", 20, 32),  # target: >= 0.9 of direct
        S("openai", 8, 1536, "float", 20, 32),
        S("openai", 1, 1536, "base64", 0, 32),
        S("openai", 1, 384, "float", 20, 1),
        S("tei", 8, 1536, "float", 0, 32),
        S("tei", 8, 1536, "base64", 20, 32),
        S("titan", 1, 1536, "float", 0, 32),
        S("titan", 8, 1536, "base64", 20, 32),
        S("local", 1, 384, "float", 0, 16),      # target: dynamic batching (compare --gateway-args batching off)
        S("local", 8, 384, "base64", 0, 32),
        S("openai", 64, 3072, "float", 0, 32),   # the heaviest bodies last: peak RSS
        S("openai", 64, 3072, "base64", 20, 128),
    ]


def full():
    out = []
    for up, n, d, enc, lat, c in itertools.product(["openai", "tei", "titan"], [1, 8, 64], [384, 1536, 3072],
                                                    ["float", "base64"], [0, 20], [1, 32, 128]):
        out.append(Scenario(up, n, d, enc, lat, c))
    for n, enc, c in itertools.product([1, 8, 64], ["float", "base64"], [1, 16, 32, 128]):
        out.append(Scenario("local", n, 384, enc, 0, c))
    return out


# ---------------------------------------------------------------- mock upstream (WireMock, generated files)

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def vector(d, seed):
    rnd = random.Random(seed)
    v = [rnd.gauss(0, 1) for _ in range(d)]
    norm = sum(x * x for x in v) ** 0.5
    return [f32(x / norm) for x in v]


def float_text(v):
    # 9 significant digits: every float32 reads back exactly (what OpenAI's and TEI's JSON look like)
    return "[" + ",".join("%.9g" % x for x in v) + "]"


def b64(v):
    return base64.b64encode(struct.pack("<%df" % len(v), *v)).decode()


def write_mock(root, ns, ds):
    """WireMock mappings + bodies for every (n, d) and latency: OpenAI format (float and base64 answers, chosen
    by the request's encoding_format), TEI native, Bedrock Titan (one vector per call, d chosen by a marker in
    the input text)."""
    files, maps = os.path.join(root, "__files"), os.path.join(root, "mappings")
    os.makedirs(files)
    os.makedirs(maps)
    mappings = []

    def add(name, method_path, body_file, delay, body_contains=None, priority=5):
        m = {"priority": priority, "request": {"method": "POST", "urlPath": method_path},
             "response": {"status": 200, "headers": {"Content-Type": "application/json"},
                          "bodyFileName": body_file}}
        if body_contains:
            m["request"]["bodyPatterns"] = [{"contains": body_contains}]
        if delay:
            m["response"]["fixedDelayMilliseconds"] = delay
        mappings.append(m)

    for d in ds:
        vecs = [vector(d, i) for i in range(max(ns))]
        for n in ns:
            with open(os.path.join(files, f"openai-n{n}-d{d}-float.json"), "w") as f:
                f.write('{"object":"list","data":[' + ",".join(
                    '{"object":"embedding","index":%d,"embedding":%s}' % (i, float_text(vecs[i])) for i in range(n))
                    + '],"model":"bench","usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (20 * n, 20 * n))
            with open(os.path.join(files, f"openai-n{n}-d{d}-base64.json"), "w") as f:
                f.write('{"object":"list","data":[' + ",".join(
                    '{"object":"embedding","index":%d,"embedding":"%s"}' % (i, b64(vecs[i])) for i in range(n))
                    + '],"model":"bench","usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (20 * n, 20 * n))
            with open(os.path.join(files, f"tei-n{n}-d{d}.json"), "w") as f:
                f.write("[" + ",".join(float_text(vecs[i]) for i in range(n)) + "]")
            for lat in (0, 20):
                slow = "-slow" if lat else ""
                path = f"/openai/deployments/openai-n{n}-d{d}{slow}/embeddings"
                add("b64", path, f"openai-n{n}-d{d}-base64.json", lat, '"encoding_format":"base64"', 1)
                add("float", path, f"openai-n{n}-d{d}-float.json", lat)
                add("tei", f"/tei/tei-n{n}-d{d}{slow}/embed", f"tei-n{n}-d{d}.json", lat)
        with open(os.path.join(files, f"titan-d{d}.json"), "w") as f:
            f.write('{"embedding":%s,"inputTextTokenCount":20}' % float_text(vecs[0]))
        for lat in (0, 20):
            slow = "-slow" if lat else ""
            add("titan", "/model/amazon.titan-embed-text-v1/invoke", f"titan-d{d}.json", lat,
                f"[titan-d{d}{slow}]", 1)
    with open(os.path.join(maps, "bench.json"), "w") as f:
        json.dump({"mappings": mappings}, f)


def gateway_config(path, ns, ds, up, local=True):
    lines = ["# generated by bench/matrix.py", "model_list:"]
    for d in ds:
        for lat in (0, 20):
            slow = "-slow" if lat else ""
            for n in ns:
                lines += [f"  - model_name: openai-n{n}-d{d}{slow}", "    litellm_params:",
                          f"      model: azure/openai-n{n}-d{d}{slow}", f"      api_base: {up}",
                          "      api_key: bench-key", '      api_version: "2024-10-21"']
                lines += [f"  - model_name: tei-n{n}-d{d}{slow}", "    litellm_params:",
                          f"      model: huggingface/bench-tei",
                          f"      api_base: {up}/tei/tei-n{n}-d{d}{slow}/embed",
                          "      max_batch_size: 64"]
            lines += [f"  - model_name: titan-d{d}{slow}", "    litellm_params:",
                      "      model: bedrock/amazon.titan-embed-text-v1", "      aws_region_name: us-east-1",
                      "      aws_access_key_id: AKIDBENCHBENCHBENCH", "      aws_secret_access_key: bench-secret",
                      f"      api_base: {up}", "      max_parallel_requests: 64"]
    if local:
        lines += ["  - model_name: all-minilm-l6-v2", "    litellm_params:", "      model: local/all-minilm-l6-v2"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")



# ---------------------------------------------------------------- bodies

def texts(s):
    marker = f" [{s.deployment()}]" if s.upstream == "titan" else ""
    return [TEXT.format(i) + marker for i in range(s.n)]


def gateway_body(s):
    return json.dumps({"model": s.deployment(), "input": texts(s), "encoding_format": s.enc})


def direct_request(s, up):
    """(url, body, scale): scale turns the direct path's requests/s into client requests/s (Titan: n calls)."""
    if s.upstream == "openai":
        return (f"{up}/openai/deployments/{s.deployment()}/embeddings?api-version=2024-10-21",
                json.dumps({"input": texts(s), "encoding_format": s.enc}), 1)
    if s.upstream == "tei":
        return f"{up}/tei/{s.deployment()}/embed", json.dumps({"inputs": texts(s)}), 1
    if s.upstream == "titan":
        return f"{up}/model/amazon.titan-embed-text-v1/invoke", json.dumps({"inputText": texts(s)[0]}), s.n
    return None


def peer_request(s, peer_url, up):
    """(url, body, headers) for Portkey's gateway, or None where it cannot serve the scenario."""
    if s.upstream == "openai":
        return (f"{peer_url}/v1/embeddings", json.dumps({"model": "bench", "input": texts(s), "encoding_format": s.enc}),
                {"x-portkey-provider": "openai", "Authorization": "Bearer bench-key",
                 "x-portkey-custom-host": f"{up}/openai/deployments/{s.deployment()}"})
    # Portkey has no TEI native (/embed) provider, embeds only the first input of a Titan batch, and no local model
    if s.upstream == "titan" and s.n == 1:
        return (f"{peer_url}/v1/embeddings", json.dumps({"model": "amazon.titan-embed-text-v1", "input": texts(s)}),
                {"x-portkey-provider": "bedrock", "x-portkey-aws-access-key-id": "AKIDBENCHBENCHBENCH",
                 "x-portkey-aws-secret-access-key": "bench-secret", "x-portkey-aws-region": "us-east-1",
                 "x-portkey-custom-host": up})
    return None


# ---------------------------------------------------------------- processes and measurement

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_ms(pid):
    if not pid:
        return 0
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.running = [p for p in pids if p], {}, True

    def run(self):
        while self.running:
            for p in self.pids:
                self.peak[p] = max(self.peak.get(p, 0), status_kb(p, "VmRSS"))
            time.sleep(0.1)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def wait_http(url, seconds=60, ok=(200,)):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in ok:
                    return True
        except Exception:
            time.sleep(0.1)
    return False


def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x


def wrk(url, body, headers, conns, seconds, tmp):
    script = os.path.join(tmp, "req.lua")
    with open(os.path.join(tmp, "body.json"), "w") as f:
        f.write(body)
    hdrs = {"Content-Type": "application/json", "api-key": "bench-key"}
    hdrs.update(headers or {})
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write('local f = io.open("%s", "rb"); wrk.body = f:read("*a"); f:close()\n' % os.path.join(tmp, "body.json"))
        for k, v in hdrs.items():
            f.write('wrk.headers["%s"] = "%s"\n' % (k, v))
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", script,
                          url], capture_output=True, text=True).stdout
    res = {"rps": 0.0, "p50": None, "p99": None, "requests": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    for pct in ("50", "99"):
        m = re.search(r"\s%s%%\s+([\d.]+\w+)" % pct, out)
        if m:
            res["p" + pct] = ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["errors"] += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] += sum(int(x) for x in m.groups())
    return res


def cpu_jfc(tmp):
    """The JDK's profile.jfc with CPU samples every millisecond instead of every 10 ms."""
    path = os.path.join(tmp, "cpu.jfc")
    if not os.path.exists(path):
        java_home = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))
        with open(os.path.join(java_home, "lib", "jfr", "profile.jfc")) as f:
            text = f.read()
        text = re.sub(r'(<event name="jdk.ExecutionSample">.*?<setting name="period"[^>]*>)[^<]*', r"\g<1>1 ms",
                      text, count=1, flags=re.S)
        with open(path, "w") as f:
            f.write(text)
    return path


def measure(url, body, headers, conns, seconds, warmup, tmp, pid=None, jfr=None):
    if warmup:
        wrk(url, body, headers, conns, warmup, tmp)
    if jfr:  # CPU samples of the measured run only (after warm-up), one per millisecond
        subprocess.run(["jcmd", str(pid), "JFR.start", "name=bench", "settings=" + cpu_jfc(tmp)], capture_output=True)
    sampler = RssSampler([pid])
    sampler.start()
    c0 = cpu_ms(pid)
    r = wrk(url, body, headers, conns, seconds, tmp)
    if jfr:
        subprocess.run(["jcmd", str(pid), "JFR.stop", "name=bench", f"filename={os.path.abspath(jfr)}"],
                       capture_output=True)
    r["cpu"] = (cpu_ms(pid) - c0) / r["requests"] if pid and r["requests"] else None
    r["rss"] = sampler.stop().get(pid)
    return r


# ---------------------------------------------------------------- main

def fmt(x, digits=0):
    if x is None:
        return "-"
    return f"{x:,.{digits}f}"


def main():
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the mock and the gateway on the way out
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the whole matrix (hours)")
    ap.add_argument("--only", help="regex on scenario names")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--peer", help="NAME=URL,PID of a running peer gateway (bench/peers.sh sets it)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--gateway-opts", default="", help="extra JAVA_OPTS for bin/gateway")
    ap.add_argument("--gateway-args", default="", help="extra gateway flags, e.g. --gateway.local.maxBatchInputs=1")
    ap.add_argument("--list", action="store_true", help="print the scenario names and exit")
    ap.add_argument("--no-local", action="store_true",
                    help="no local/ deployment (the model is not loaded): RSS of the gateway alone")
    ap.add_argument("--jfr", help="record a JFR profile of the gateway's measured run, one file per scenario: FILE-<scenario>.jfr "
                    "(bench/jfr_top.py reads them)")
    a = ap.parse_args()

    scenarios = full() if a.full else quick()
    if a.only:
        scenarios = [s for s in scenarios if re.search(a.only, s.name)]
    if a.no_local:
        scenarios = [s for s in scenarios if s.upstream != "local"]
    if a.list:
        print("\n".join(s.name for s in scenarios))
        return
    if not shutil.which("wrk"):
        print("installing wrk (Debian package)", file=sys.stderr)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "wrk"], check=False)
        if not shutil.which("wrk"):
            subprocess.run(sudo + ["apt-get", "update"], check=True)
            subprocess.run(sudo + ["apt-get", "install", "-y", "wrk"], check=True)
    jar = os.path.join(ROOT, "target", "embeddings-gateway.jar")
    if not os.path.exists(jar):
        subprocess.run(["mvn", "-B", "-q", "-DskipTests", "package"], cwd=ROOT, check=True)
    wm = subprocess.run("find ~/.m2/repository/org/wiremock/wiremock-standalone -name 'wiremock-standalone-*.jar' "
                        "2>/dev/null | sort | tail -1", shell=True, capture_output=True, text=True).stdout.strip()
    if not wm:
        subprocess.run(["mvn", "-B", "-q", "dependency:get", "-Dartifact=org.wiremock:wiremock-standalone:3.13.2"],
                       check=True)
        wm = subprocess.run("find ~/.m2/repository/org/wiremock/wiremock-standalone -name "
                            "'wiremock-standalone-*.jar' | sort | tail -1", shell=True, capture_output=True,
                            text=True).stdout.strip()

    ns = sorted({s.n for s in scenarios if s.upstream != "local"}) or [1]
    ds = sorted({s.d for s in scenarios if s.upstream != "local"}) or [384]
    tmp = tempfile.mkdtemp(prefix="bench-")
    procs = []
    try:
        write_mock(os.path.join(tmp, "mock"), ns, ds)
        up_port, gw_port = free_port(), free_port()
        up = f"http://127.0.0.1:{up_port}"
        mock = subprocess.Popen(["java", "-Xmx1g", "-jar", wm, "--port", str(up_port), "--bind-address", "127.0.0.1",
                                 "--root-dir", os.path.join(tmp, "mock"), "--no-request-journal",
                                 "--disable-request-logging", "--async-response-enabled", "true",
                                 "--container-threads", "200"],
                                stdout=open(os.path.join(tmp, "mock.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(mock)
        cfg = os.path.join(tmp, "config.yaml")
        gateway_config(cfg, ns, ds, up, not a.no_local)
        env = dict(os.environ, JAVA_OPTS=a.gateway_opts)
        t0 = time.time()
        gw = subprocess.Popen([os.path.join(ROOT, "bin", "gateway"), "--config", cfg, "--host", "127.0.0.1",
                               "--port", str(gw_port), "--no-reload"] + a.gateway_args.split(),
                              env=env, cwd=ROOT, stdout=open(os.path.join(tmp, "gateway.log"), "w"),
                              stderr=subprocess.STDOUT)
        procs.append(gw)
        gw_url = f"http://127.0.0.1:{gw_port}"
        if not wait_http(gw_url + "/health/readiness", 120):
            sys.exit(f"gateway did not start; see {tmp}/gateway.log")
        ready = time.time() - t0
        if not wait_http(up + "/__admin/health", 60):
            sys.exit(f"mock did not start; see {tmp}/mock.log")
        peer_name, peer_url, peer_pid = None, None, None
        if a.peer:
            peer_name, rest = a.peer.split("=", 1)
            peer_url, peer_pid = rest.split(",")
            peer_pid = int(peer_pid)
        print(f"gateway ready in {ready:.1f} s ({'no local model' if a.no_local else 'local model loaded'}); "
              f"{os.cpu_count()} cores; "
              f"{len(scenarios)} scenarios x {a.seconds} s", flush=True)

        # JIT warm-up of the gateway's hot paths before any measured run (a busy machine compiles slowly)
        for s in [Scenario("openai", 8, 1536, "base64", 0, 16), Scenario("openai", 8, 1536, "float", 0, 16)]:
            if s.deployment() in open(cfg).read():
                wrk(gw_url + "/v1/embeddings", gateway_body(s), {}, s.conns, a.warmup * 2, tmp)
        rows = []
        for s in scenarios:
            if gw.poll() is not None:
                tail = open(os.path.join(tmp, "gateway.log")).read().strip().splitlines()[-1:]
                print(f"the gateway exited ({gw.returncode}): {tail}; stopping", flush=True)
                break
            direct = None
            if s.upstream != "local":
                url, body, scale = direct_request(s, up)
                direct = measure(url, body, {}, s.conns, a.seconds, a.warmup, tmp)
                direct["rps"] /= scale
            ours = measure(gw_url + "/v1/embeddings", gateway_body(s), {}, s.conns, a.seconds, a.warmup, tmp, gw.pid,
                           a.jfr and a.jfr.replace(".jfr", "") + "-" + re.sub(r"\W+", "-", s.name) + ".jfr")
            peer = None
            if peer_url:
                pr = peer_request(s, peer_url, up)
                if pr:
                    peer = measure(pr[0], pr[1], pr[2], s.conns, a.seconds, a.warmup, tmp, peer_pid)
            rows.append((s, direct, ours, peer))
            line = (f"{s.name:38s} direct {fmt(direct['rps']) if direct else '-':>7} | ours {fmt(ours['rps']):>7} "
                    f"p50 {fmt(ours['p50'], 2)} p99 {fmt(ours['p99'], 2)} cpu {fmt(ours['cpu'], 2)} ms "
                    f"rss {fmt((ours['rss'] or 0) / 1024)} MiB err {ours['errors']}")
            if peer:
                line += f" | {peer_name} {fmt(peer['rps'])} cpu {fmt(peer['cpu'], 2)} err {peer['errors']}"
            print(line, flush=True)
        hwm = status_kb(gw.pid, "VmHWM") if gw.poll() is None else None
        write_report(a, rows, peer_name, ready, hwm)
        print(f"peak RSS of the gateway over the run (VmHWM): "
              f"{f'{hwm / 1024:.0f} MiB' if hwm else 'the gateway exited, see above'}; wrote {a.out}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("BENCH_KEEP") is None:
            shutil.rmtree(tmp, ignore_errors=True)


def write_report(a, rows, peer_name, ready, hwm):
    peer = peer_name or "peer"
    out = ["# Benchmark results", "",
           f"`bench/matrix.py{' --full' if a.full else ''}{' --only ' + a.only if a.only else ''}` "
           f"on {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores (wrk, the mock, the gateway"
           f"{' and ' + peer if peer_name else ''} share them), wrk 1 thread, {a.seconds} s per run after "
           f"{a.warmup} s warm-up. JAVA_OPTS extra: `{a.gateway_opts or '-'}`, gateway flags extra: "
           f"`{a.gateway_args or '-'}`.", "",
           f"Start to ready: {ready:.1f} s ({'without' if a.no_local else 'with'} the local model). Peak RSS of the "
           f"gateway over the whole run (VmHWM): "
           f"{f'{hwm / 1024:.0f} MiB' if hwm else 'none: the gateway exited during the run (see its log line above)'}.",
           "",
           f"| scenario | direct req/s | ours req/s | ours/direct | p50 ms | p99 ms | CPU ms/req | peak RSS MiB "
           f"| {peer} req/s | {peer} p99 ms | {peer} CPU ms/req | ours/{peer} | errors |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s, d, o, p in rows:
        ratio = f"{o['rps'] / d['rps']:.2f}" if d and d["rps"] else "-"
        pratio = f"{o['rps'] / p['rps']:.1f}" if p and p["rps"] else "-"
        errs = str(o["errors"]) + (f" / {p['errors']}" if p else "")
        out.append(f"| {s.name} | {fmt(d['rps']) if d else '-'} | {fmt(o['rps'])} | {ratio} | {fmt(o['p50'], 2)} "
                   f"| {fmt(o['p99'], 2)} | {fmt(o['cpu'], 2)} | {fmt((o['rss'] or 0) / 1024)} "
                   f"| {fmt(p['rps']) if p else 'n/a'} | {fmt(p['p99'], 2) if p else '-'} "
                   f"| {fmt(p['cpu'], 2) if p else '-'} | {pratio} | {errs} |")
    out += ["", "Titan: the gateway makes one upstream call per input; its direct figure is the mock's calls/s "
                "divided by the inputs per request. `n/a`: the peer cannot serve the scenario (no TEI native "
                "route, only the first input of a Titan batch, no local model).", ""]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
