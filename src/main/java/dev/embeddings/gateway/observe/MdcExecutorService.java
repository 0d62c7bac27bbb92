package dev.embeddings.gateway.observe;

import org.slf4j.MDC;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An executor that runs each task with the request id ({@value HttpObserver#MDC_KEY}) of the thread that submitted
 * it in its MDC, so the log lines of a request's parallel upstream batches carry its id too. Lifecycle calls go to
 * the wrapped pool.
 */
public final class MdcExecutorService extends AbstractExecutorService {

    private final ExecutorService delegate;

    public MdcExecutorService(ExecutorService delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        String id = MDC.get(HttpObserver.MDC_KEY);
        if (id == null) {
            delegate.execute(task);
            return;
        }
        delegate.execute(() -> {
            MDC.put(HttpObserver.MDC_KEY, id);
            try {
                task.run();
            } finally {
                MDC.remove(HttpObserver.MDC_KEY);
            }
        });
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        return delegate.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return delegate.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return delegate.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return delegate.awaitTermination(timeout, unit);
    }
}
