package io.fluxfleet.tensor;

/**
 * Element types a safetensors file may hold. Only the float types load as weights; integer
 * buffers (CLIP's position_ids, say) may sit in a file and are simply never asked for.
 */
public enum StoredType {
    F32("F32", 4, true),
    F16("F16", 2, true),
    BF16("BF16", 2, true),
    F64("F64", 8, false),
    I64("I64", 8, false),
    I32("I32", 4, false),
    I16("I16", 2, false),
    I8("I8", 1, false),
    U8("U8", 1, false),
    BOOL("BOOL", 1, false);

    public final String code;
    public final int bytes;
    public final boolean floatingPoint;

    StoredType(String code, int bytes, boolean floatingPoint) {
        this.code = code;
        this.bytes = bytes;
        this.floatingPoint = floatingPoint;
    }

    public static StoredType fromCode(String code, String tensorName, Object file) {
        for (StoredType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        throw new TensorFileException(file + ": tensor '" + tensorName + "' has unknown dtype '" + code + "'");
    }
}
