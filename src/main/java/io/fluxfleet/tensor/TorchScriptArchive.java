package io.fluxfleet.tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive (the zip that {@code torch.jit.save} produces) from Java, with
 * no Python: one parameterless module class whose methods are TorchScript source text.
 *
 * <p>Layout (archive format version 10): {@code archive/data.pkl} pickles an instance of the
 * class, {@code archive/code/__torch__.py} holds its source, {@code archive/constants.pkl} an
 * empty tuple. Entries are stored uncompressed, as PyTorch's own writer does.
 */
public final class TorchScriptArchive {

    private TorchScriptArchive() {}

    /**
     * @param className a Python identifier, the class lives in the {@code __torch__} namespace
     * @param methods method definitions, each starting with {@code def name(self, ...)}; written
     *     indented under the class. {@code self} is typed automatically.
     */
    public static byte[] write(String className, String... methods) {
        StringBuilder code = new StringBuilder();
        code.append("class ").append(className).append("(Module):\n");
        code.append("  __parameters__ = []\n");
        code.append("  __buffers__ = []\n");
        code.append("  training : bool\n");
        String selfType = "self: __torch__." + className;
        for (String method : methods) {
            String typed = method.strip().replaceFirst("\\(self\\b", "(" + selfType);
            for (String line : typed.split("\n", -1)) {
                code.append("  ").append(line).append('\n');
            }
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
                store(zip, "archive/data.pkl", modulePickle(className));
                store(zip, "archive/code/__torch__.py", code.toString().getBytes(StandardCharsets.UTF_8));
                store(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
                store(zip, "archive/version", "10\n".getBytes(StandardCharsets.US_ASCII));
                store(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory zip failed", e);
        }
    }

    /** Pickle protocol 2 of {@code __torch__.<className>()} with state {'training': False}. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2); // PROTO 2
        writeAscii(p, "c__torch__\n" + className + "\n"); // GLOBAL
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        byte[] key = "training".getBytes(StandardCharsets.UTF_8);
        p.write('X'); // BINUNICODE
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.write(key, 0, key.length);
        p.write(0x89); // NEWFALSE
        p.write('s'); // SETITEM
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void writeAscii(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
    }

    private static void store(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
