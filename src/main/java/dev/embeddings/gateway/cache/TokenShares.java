package dev.embeddings.gateway.cache;

/** Splitting one token count over several inputs. */
public final class TokenShares {

    private TokenShares() {
    }

    /**
     * Splits {@code total} into integer shares proportional to {@code weights} (largest remainder: the shares sum
     * to {@code total}; all zero when {@code total} ≤ 0 or the weights sum to 0).
     */
    public static int[] apportion(int total, long[] weights) {
        int[] shares = new int[weights.length];
        long sum = 0;
        for (long w : weights) {
            sum += w;
        }
        if (sum == 0 || total <= 0) {
            return shares;
        }
        double[] rest = new double[weights.length];
        int given = 0;
        for (int i = 0; i < weights.length; i++) {
            double exact = (double) total * weights[i] / sum;
            shares[i] = (int) Math.floor(exact);
            rest[i] = exact - shares[i];
            given += shares[i];
        }
        for (int k = given; k < total; k++) {
            int best = 0;
            for (int i = 1; i < rest.length; i++) {
                if (rest[i] > rest[best]) {
                    best = i;
                }
            }
            shares[best]++;
            rest[best] = -1;
        }
        return shares;
    }
}
