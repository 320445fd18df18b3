// Who the bot is: GET /open-apis/bot/v3/info answers {code, msg, bot:
// {open_id, app_name, activate_status, ...}}. The open_id tells group
// messages that @-mention the bot from the rest.
import { z } from "zod";

export const BotInfo = z.looseObject({
  bot: z.looseObject({
    open_id: z.string().min(1),
    app_name: z.string().optional(),
    activate_status: z.number().optional(),
  }),
});

export interface BotIdentity {
  /** ou_...: how mentions and senders name the bot */
  openId: string;
  /** the app's name as users see it */
  name?: string;
}
