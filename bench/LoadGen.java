import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A closed-loop HTTP load generator for bench/run.sh (no dependencies; run with `java LoadGen.java`).
 * args: url body-file concurrency seconds [gateway-pid [upstream-pid]]
 * prints: requests/s, latency p50/p99 in ms, errors (answers other than 200, by status or exception), and the CPU ms
 * per request of the given processes.
 */
public class LoadGen {
    /** Failed requests of the measured run: HTTP status, or the exception's class name. */
    static final ConcurrentSkipListMap<String, LongAdder> FAILURES = new ConcurrentSkipListMap<>();

    public static void main(String[] a) throws Exception {
        String url = a[0];
        String body = Files.readString(Path.of(a[1]));
        int concurrency = Integer.parseInt(a[2]);
        int seconds = Integer.parseInt(a[3]);
        long pid = a.length > 4 ? Long.parseLong(a[4]) : -1;
        long pid2 = a.length > 5 ? Long.parseLong(a[5]) : -1;
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("api-key", "bench-key").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // warm-up
        long warmEnd = System.nanoTime() + 3_000_000_000L;
        run(client, req, concurrency, warmEnd, new ArrayList<>(), new AtomicInteger());
        long cpu0 = cpuMs(pid);
        long sys0 = sysMs(pid);
        long up0 = cpuMs(pid2);
        List<Long> lat = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        FAILURES.clear();
        long t0 = System.nanoTime();
        run(client, req, concurrency, t0 + seconds * 1_000_000_000L, lat, errors);
        double secs = (System.nanoTime() - t0) / 1e9;
        long cpu1 = cpuMs(pid);
        long sys1 = sysMs(pid);
        long up1 = cpuMs(pid2);
        List<Long> sorted = new ArrayList<>(lat);
        Collections.sort(sorted);
        int n = sorted.size();
        System.out.printf("requests=%d rps=%.0f p50=%.2fms p99=%.2fms errors=%d%s%s%n", n, n / secs,
                sorted.get(n / 2) / 1e6, sorted.get(Math.min(n - 1, (int) (n * 0.99))) / 1e6, errors.get(),
                FAILURES.isEmpty() ? "" : " " + FAILURES,
                (pid > 0 ? String.format(" cpu_ms_per_request=%.3f (kernel %.3f)", (cpu1 - cpu0) / (double) n,
                        (sys1 - sys0) / (double) n) : "")
                        + (pid2 > 0 ? String.format(" upstream_cpu_ms_per_request=%.3f", (up1 - up0) / (double) n) : ""));
    }

    static void run(HttpClient client, HttpRequest req, int c, long end, List<Long> lat, AtomicInteger errors)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(c);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < c; i++) {
            fs.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                            FAILURES.computeIfAbsent(String.valueOf(r.statusCode()), k -> new LongAdder()).increment();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        FAILURES.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
                    }
                    lat.add(System.nanoTime() - s);
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    /** stime (kernel time) of a process, in ms (Linux /proc). */
    static long sysMs(long pid) throws Exception {
        if (pid <= 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[12]) * 1000 / 100;
    }

    /** utime + stime of a process, in ms (Linux /proc). */
    static long cpuMs(long pid) throws Exception {
        if (pid <= 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * 1000 / 100; // USER_HZ = 100
    }
}
