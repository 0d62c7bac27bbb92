package dev.embeddings.gateway.observe;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.MDC;

/**
 * A route policy on every platform-http route (registered as a RoutePolicyFactory, so reloaded routes get it too):
 * when an HTTP exchange begins, it finds the request's {@link RequestRecord} (exchange property
 * {@value RequestRecord#PROPERTY}) and puts its request id in the MDC ({@value HttpObserver#MDC_KEY}) of the thread
 * that serves it; when the exchange is done, it takes it out. The upstream pool carries the id over to the threads
 * of parallel batches ({@link MdcExecutorService}).
 */
public final class RequestContextPolicy implements RoutePolicyFactory {

    private static final RoutePolicy POLICY = new RoutePolicySupport() {
        @Override
        public void onExchangeBegin(Route route, Exchange exchange) {
            RequestRecord r = RequestRecord.of(exchange);
            if (r != null) {
                MDC.put(HttpObserver.MDC_KEY, r.requestId);
            }
        }

        @Override
        public void onExchangeDone(Route route, Exchange exchange) {
            MDC.remove(HttpObserver.MDC_KEY);
        }
    };

    @Override
    public RoutePolicy createRoutePolicy(CamelContext context, String routeId, NamedNode route) {
        if (route instanceof org.apache.camel.model.RouteDefinition rd && rd.getInput() != null
                && rd.getInput().getEndpointUri() != null && rd.getInput().getEndpointUri().startsWith("platform-http:")) {
            return POLICY;
        }
        return null;
    }
}
