const WORDS = {
    drop: 'denied', dropped: 'denied', deny: 'denied', denied: 'denied', reject: 'denied', rejected: 'denied',
    block: 'denied', blocked: 'denied', refuse: 'denied', refused: 'denied',
    accept: 'allowed', accepted: 'allowed', allow: 'allowed', allowed: 'allowed', pass: 'allowed', passed: 'allowed',
};
export function verdictOf(action) {
    return action === undefined ? undefined : WORDS[action];
}
/**
 * The first verdict word in free text (`IPTABLES Dropped:`, `DROP_INPUT`, `[BLOCKED - INBOUND]`),
 * lower-cased, or undefined.
 */
export function findVerdictWord(text) {
    let start = -1;
    for (let i = 0; i <= text.length; i++) {
        const c = i < text.length ? text.charCodeAt(i) | 0x20 : 0;
        const letter = c >= 97 && c <= 122;
        if (letter && start < 0)
            start = i;
        else if (!letter && start >= 0) {
            const word = text.slice(start, i).toLowerCase();
            if (WORDS[word] !== undefined)
                return word;
            start = -1;
        }
    }
    return undefined;
}
