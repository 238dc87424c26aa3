/** Word helpers for "did you mean" hints in config and patch errors (pure). */

/** Optimal-string-alignment edit distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    const d: number[][] = [];
    for (let i = 0; i <= s.length; i++) d.push([i, ...new Array<number>(t.length).fill(0)]);
    for (let j = 0; j <= t.length; j++) d[0][j] = j;
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const cost = s[i - 1] === t[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[s.length][t.length];
}

/** The closest candidate within a typo's reach of `word`, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const limit = Math.max(1, Math.floor(word.length / 3));
    let best: string | undefined;
    let bestD = Infinity;
    for (const c of candidates) {
        const d = editDistance(word, c);
        if (d < bestD && d <= limit) {
            best = c;
            bestD = d;
        }
    }
    return best;
}
