/** About four characters per token for English text: estimates without a tokenizer. */
export const CHARS_PER_TOKEN = 4;

export const tokensForChars = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);
