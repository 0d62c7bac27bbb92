package dev.embeddings.gateway;

import org.apache.camel.CamelContext;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteTemplateDefinition;
import org.apache.camel.model.TemplatedRouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Live reload of the routes folder, aware of route templates. Camel 4.18 reloads a changed file's routes and
 * templates, but not its {@code templatedRoute}s (RouteBuilder.updateRoutesToCamelContext skips them), and an edited
 * {@code routeTemplate} leaves the routes made from it running the old steps. So:
 * <ul>
 *   <li>a file with {@code templatedRoute:} entries (routes/provider-&lt;name&gt;.yaml): parsed first (a save that
 *       does not parse leaves the running routes alone and is logged), then each of its routes is stopped, removed
 *       and created again from its template;</li>
 *   <li>a file with a {@code routeTemplate:} (routes/provider-pipeline.yaml): Camel updates the template, then every
 *       templatedRoute file of the folder is reloaded as above, so every provider route runs the new steps;</li>
 *   <li>anything else: Camel's own RouteWatcherReloadStrategy behaviour.</li>
 * </ul>
 * A stopped route's in-flight requests are replayed on the new one as for any reloaded direct: route (see
 * errors.yaml and DeploymentRouter).
 */
final class TemplatedRoutesReload extends RouteWatcherReloadStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(TemplatedRoutesReload.class);

    private TemplatedRoutesReload(RouteWatcherReloadStrategy camels) {
        super(camels.getFolder(), camels.isRecursive());
        setPattern(camels.getPattern());
        setRemoveAllRoutes(camels.isRemoveAllRoutes());
    }

    /**
     * Makes the RouteWatcherReloadStrategy that Camel Main added to {@code ctx} (when reload is on) hand every
     * changed file to one of these. Call before the context starts (Camel keeps a reload callback set before then).
     */
    static void install(CamelContext ctx) {
        RouteWatcherReloadStrategy camels = ctx.hasService(RouteWatcherReloadStrategy.class);
        if (camels == null || camels.getResourceReload() != null) {
            return;
        }
        TemplatedRoutesReload ours = new TemplatedRoutesReload(camels);
        ours.setCamelContext(ctx);
        camels.setResourceReload((name, resource) -> ours.reload(name, resource));
    }

    private void reload(String name, Resource resource) throws Exception {
        if (name.endsWith(".properties")) {
            onPropertiesReload(resource, isRemoveAllRoutes());
        } else if (name.endsWith(".groovy")) {
            onGroovyReload(resource, isRemoveAllRoutes());
        } else {
            onRouteReload(List.of(resource), false);
        }
    }

    @Override
    protected void onRouteReload(Collection<Resource> resources, boolean removeEverything) {
        if (resources == null || removeEverything) {
            super.onRouteReload(resources, removeEverything);
            return;
        }
        List<Resource> plain = new ArrayList<>();
        List<Resource> templated = new ArrayList<>();
        boolean templateChanged = false;
        for (Resource r : resources) {
            String text = text(r);
            if (text.contains("templatedRoute:")) {
                templated.add(r);
            } else if (text.contains("routeTemplate:")) {
                templateChanged |= reloadTemplates(r);
            } else {
                plain.add(r);
            }
        }
        if (!plain.isEmpty()) {
            super.onRouteReload(plain, false);
        }
        if (templateChanged) {
            templated = instancesInFolder();
        }
        for (Resource r : templated) {
            reloadTemplated(r);
        }
    }

    /**
     * Replaces the route templates of a file that holds only templates; true when they were replaced. A save that
     * does not parse is logged and changes nothing.
     */
    private boolean reloadTemplates(Resource r) {
        ModelCamelContext ctx = (ModelCamelContext) getCamelContext();
        try {
            List<RouteTemplateDefinition> templates = new ArrayList<>();
            for (RoutesBuilder b : PluginHelper.getRoutesLoader(ctx).findRoutesBuilders(List.of(r))) {
                if (b instanceof RouteBuilder rb) {
                    rb.configureRoutes(ctx);
                    if (!rb.getRouteCollection().getRoutes().isEmpty()) {
                        LOG.warn("{} holds route templates and routes: only its templates are reloaded; keep the "
                                + "routes in another file", r.getLocation());
                    }
                    templates.addAll(rb.getRouteTemplateCollection().getRouteTemplates());
                }
            }
            for (RouteTemplateDefinition t : templates) {
                RouteTemplateDefinition old = ctx.getRouteTemplateDefinition(t.getId());
                if (old != null) {
                    ctx.removeRouteTemplateDefinition(old);
                }
                ctx.addRouteTemplateDefinition(t);
            }
            LOG.info("Route templates reloaded: {} ({})", templates.stream().map(RouteTemplateDefinition::getId)
                    .toList(), r.getLocation());
            return !templates.isEmpty();
        } catch (Exception e) {
            LOG.warn("Could not reload {}: {}; the running routes and templates stay as they were", r.getLocation(),
                    e.getMessage());
            return false;
        }
    }

    /** Every file of the folder that instantiates a template, in name order. */
    private List<Resource> instancesInFolder() {
        List<Resource> out = new ArrayList<>();
        File[] files = new File(getFolder()).listFiles((dir, n) -> n.endsWith(".yaml"));
        if (files != null) {
            Arrays.sort(files);
            for (File f : files) {
                Resource r = PluginHelper.getResourceLoader(getCamelContext()).resolveResource("file:" + f.getPath());
                if (text(r).contains("templatedRoute:")) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private void reloadTemplated(Resource r) {
        CamelContext ctx = getCamelContext();
        try {
            List<RouteBuilder> builders = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            // parse and configure first: a broken save must not take the running routes down
            for (RoutesBuilder b : PluginHelper.getRoutesLoader(ctx).findRoutesBuilders(List.of(r))) {
                if (b instanceof RouteBuilder rb) {
                    rb.configureRoutes(ctx);
                    for (TemplatedRouteDefinition t : rb.getTemplatedRouteCollection().getTemplatedRoutes()) {
                        if (t.getRouteId() != null) {
                            ids.add(t.getRouteId());
                        }
                    }
                    builders.add(rb);
                }
            }
            for (String id : ids) {
                if (ctx.getRoute(id) != null) {
                    ctx.getRouteController().stopRoute(id);
                    ctx.removeRoute(id);
                }
            }
            for (RouteBuilder rb : builders) {
                rb.addTemplatedRoutesToCamelContext(ctx);
            }
            LOG.info("Routes reloaded from template: {} ({})", ids, r.getLocation());
        } catch (Exception e) {
            LOG.warn("Could not reload {}: {}; the running routes stay as they were", r.getLocation(),
                    e.getMessage());
        }
    }

    private static String text(Resource r) {
        try (InputStream in = r.getInputStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
