/**
 * pppd's `chat` language on a netrx `Port`: parse a script (a file or argv
 * words), check it for what chat would stop at, and run it with chat's exit
 * codes and `-v` log lines.
 */
export {
  parseChatArgs,
  parseChatFile,
  checkChatScript,
  subExpects,
  keywordOf,
  CHAT_KEYWORDS,
  CHAT_LIMITS,
  type ChatKeyword,
  type ChatProblem,
  type ChatScript,
  type ChatSyntaxError,
  type ChatToken,
} from './script.js';
export { cleanChatString, visible, type Cleaned, type EscapeContext } from './escapes.js';
export { runChat } from './runner.js';
export {
  DEFAULT_PAGER,
  isoStamp,
  type ChatOptions,
  type ChatOutput,
  type ChatResult,
} from './options.js';
