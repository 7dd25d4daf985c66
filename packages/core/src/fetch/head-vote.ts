/**
 * Chooses the head to ask `state_ids` at, by vote over the forward extremities that servers report
 * (the seed's `_heads`): every answer gives one vote to each of its `prev_events`; an answer that
 * lists an id twice is ignored so that one server cannot weigh its own answer. The most voted id
 * wins; ties go to the smallest id so that every run chooses the same.
 */
export function voteHead(
  answers: ReadonlyArray<readonly string[]>,
): { head: string; votes: number } | undefined {
  const votes = new Map<string, number>();
  for (const prevs of answers) {
    if (new Set(prevs).size !== prevs.length) continue;
    for (const id of prevs) votes.set(id, (votes.get(id) ?? 0) + 1);
  }
  let best: { head: string; votes: number } | undefined;
  for (const [head, n] of votes) {
    if (best === undefined || n > best.votes || (n === best.votes && head < best.head))
      best = { head, votes: n };
  }
  return best;
}
