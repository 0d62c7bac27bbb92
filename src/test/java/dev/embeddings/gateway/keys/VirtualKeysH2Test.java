package dev.embeddings.gateway.keys;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The virtual-key suite on the embedded default: an H2 file database under --data-dir. */
class VirtualKeysH2Test extends VirtualKeysContract {

    @Override
    String databaseSettings() {
        return "";
    }

    @Override
    void assertFilesFree(List<String> needles) throws Exception {
        Path file = dataDir.resolve("gateway.mv.db");
        assertTrue(Files.size(file) > 0);
        // written to disk as H2 stores it: the raw bytes, as Latin-1 so that every byte maps to one char
        String raw = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        String utf16 = new String(Files.readAllBytes(file), StandardCharsets.UTF_16BE);
        for (String n : needles) {
            assertFalse(raw.contains(n), "key text in " + file);
            assertFalse(utf16.contains(n), "key text (UTF-16) in " + file);
        }
        // every file of the data directory, batch files and spill files included
        try (var files = Files.walk(dataDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String all = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String n : needles) {
                    assertFalse(all.contains(n), "key text in " + f);
                }
            }
        }
    }
}
