import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An unauthenticated body flood against the gateway, run by bench/flood.sh (no dependencies; `java Flood.java`).
 * args: port connections seconds gateway-pid
 * Opens `connections` sockets with no key, each announcing an 8 MB body and sending up to 7 MB of it, again and
 * again for `seconds`. Prints what the attackers got back and the gateway's peak RSS and heap use (jcmd
 * GC.heap_info, sampled every 500 ms). bench/flood.sh runs an authenticated LoadGen beside it.
 */
public class Flood {
    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]);
        int connections = Integer.parseInt(a[1]);
        int seconds = Integer.parseInt(a[2]);
        long pid = Long.parseLong(a[3]);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicInteger got401 = new AtomicInteger(), gotOther = new AtomicInteger(), gotNothing = new AtomicInteger();
        AtomicLong bytesSent = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(connections + 2);
        byte[] head = ("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 8000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'a');
        for (int i = 0; i < connections; i++) {
            pool.submit(() -> {
                while (System.nanoTime() < end) {
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        s.setSoTimeout(40_000);
                        OutputStream out = s.getOutputStream();
                        out.write(head);
                        try {
                            for (int k = 0; k < 7 * 16 && System.nanoTime() < end; k++) {
                                out.write(chunk);
                                bytesSent.addAndGet(chunk.length);
                            }
                        } catch (java.io.IOException closed) {
                            // the server stopped reading and closed: expected
                        }
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[64];
                        int n = in.read(buf);
                        String status = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
                        if (status.startsWith("HTTP/1.1 401")) {
                            got401.incrementAndGet();
                        } else if (status.isEmpty()) {
                            gotNothing.incrementAndGet();
                        } else {
                            gotOther.incrementAndGet();
                        }
                    } catch (Exception e) {
                        gotNothing.incrementAndGet();
                    }
                }
                return null;
            });
        }
        long peakRss = 0, peakHeap = 0;
        while (System.nanoTime() < end) {
            peakRss = Math.max(peakRss, rssKb(pid));
            peakHeap = Math.max(peakHeap, heapUsedKb(pid));
            Thread.sleep(500);
        }
        pool.shutdown();
        pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        System.out.printf("attackers: %d bodies of 8 MB announced, %.0f MB sent, %d got 401, %d other, %d nothing%n",
                got401.get() + gotOther.get() + gotNothing.get(), bytesSent.get() / 1e6, got401.get(),
                gotOther.get(), gotNothing.get());
        System.out.printf("gateway: peak RSS %d MB, peak heap used %d MB, %s%n", peakRss / 1024, peakHeap / 1024,
                alive ? "still running" : "DIED");
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // gone
        }
        return 0;
    }

    /** "used NNNK" of the heap from jcmd GC.heap_info. */
    static long heapUsedKb(long pid) {
        try {
            Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (Exception e) {
            return 0;
        }
    }
}
